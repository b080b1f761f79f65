"""Whisper's initial prompt and hotwords as data: ``prompts/asr/<vertical>.toml``, one file per vertical.

Each file names its vertical (``id``, the Chinese ``name``, ``aliases`` a room's metadata may use),
a ``version``, the ``prompt`` sentence Whisper reads as the text before the audio, and ``hotwords``
(faster-whisper's ``hotwords``: words put before the prompt). A vertical whose own prompt did not
measure better than ``default`` says ``fallback = "default"``: its rooms get the default prompt, and
the file keeps the text for the next measurement (docs/asr-prompts.md).

The folder is found beside this module (``monitor/observations/asr_prompts`` is a link to the
repository's ``prompts/asr``, as the judge's prompt is). Every problem is a :class:`ConfigError`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from monitor.errors import ConfigError, describe_validation_error

__all__ = [
    "DEFAULT_VERTICAL",
    "LEGACY_PROMPT",
    "LEGACY_PROMPT_REF",
    "NO_PROMPT",
    "PROMPTS",
    "AsrPrompt",
    "AsrPrompts",
    "load_asr_prompts",
]

PROMPTS = Path(__file__).with_name("asr_prompts")
DEFAULT_VERTICAL = "default"
MAX_PROMPT_CHARS = 120
"""Prompt and hotwords together, in characters. Whisper reads at most 223 tokens of context (half its
448-token window); a Chinese character is one to three of its tokens, and a long context also slows
every decode and leaves fewer tokens for the speech."""


class _PromptFile(BaseModel):
    """One ``prompts/asr/*.toml`` file, as written."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="the vertical's name in files and flags")
    name: str = Field(min_length=1, description="the vertical in Chinese (console and reports)")
    version: str = Field(min_length=1, pattern=r"^[0-9A-Za-z.\-]+$")
    prompt: str = Field(min_length=1)
    hotwords: tuple[str, ...] = ()
    aliases: tuple[str, ...] = Field((), description="other names a room's metadata may give the vertical")
    fallback: str | None = Field(None, description="the vertical whose prompt rooms of this one get instead")

    @field_validator("hotwords", "aliases")
    @classmethod
    def _no_blanks(cls, words: tuple[str, ...]) -> tuple[str, ...]:
        if any(not w.strip() for w in words):
            raise ValueError("empty word")
        return tuple(w.strip() for w in words)


@dataclass(frozen=True, slots=True)
class AsrPrompt:
    """What Whisper is given before a room's speech; ``ref`` goes into stage keys and provenance."""

    id: str
    name: str
    version: str
    text: str
    hotwords: tuple[str, ...] = ()
    vertical: str = DEFAULT_VERTICAL
    """The room's vertical, which differs from ``id`` when that vertical falls back to another's prompt."""

    @property
    def ref(self) -> str:
        """``<id>@<version>``, e.g. ``tea@1``."""
        return f"{self.id}@{self.version}"

    @property
    def hotwords_text(self) -> str | None:
        """The hotwords as faster-whisper takes them (one string), or None."""
        return " ".join(self.hotwords) or None

    @property
    def digest(self) -> str:
        """sha256 of what Whisper is given: an edit without a new version still changes stage keys."""
        data = json.dumps([self.text, list(self.hotwords)], ensure_ascii=False)
        return hashlib.sha256(data.encode()).hexdigest()

    def provenance(self) -> dict[str, str]:
        """``{"asr_prompt": "tea@1", "vertical": "tea"}`` for a finding's provenance."""
        return {"asr_prompt": self.ref, "vertical": self.vertical}


NO_PROMPT = AsrPrompt("none", "无提示", "0", "")
"""Whisper given no text before the audio (benchmarks compare against it)."""
LEGACY_PROMPT = AsrPrompt("default", "通用直播带货", "1", "以下是普通话直播带货的内容，家人们，宝宝们，上链接。")
"""The one sentence livemon read with before prompts were data: records made then name no prompt, and
``default`` version 1 is this sentence."""
LEGACY_PROMPT_REF = LEGACY_PROMPT.ref


@dataclass(frozen=True, slots=True)
class AsrPrompts:
    """Every vertical's prompt file, by id; :meth:`for_vertical` resolves names and fallbacks."""

    files: dict[str, _PromptFile]

    @property
    def verticals(self) -> tuple[str, ...]:
        return tuple(sorted(self.files))

    def lookup(self, vertical: str | None) -> str:
        """The id of ``vertical`` (an id, Chinese name or alias, any case); None or '' is ``default``."""
        if not vertical or not vertical.strip():
            return DEFAULT_VERTICAL
        wanted = vertical.strip().casefold()
        for f in self.files.values():
            if wanted in {f.id, f.name.casefold(), *(a.casefold() for a in f.aliases)}:
                return f.id
        known = "、".join(f"{f.id}（{f.name}）" for f in sorted(self.files.values(), key=lambda f: f.id))
        raise ConfigError(f"未知的行业（vertical）{vertical!r}；可选：{known}")

    def for_vertical(self, vertical: str | None) -> AsrPrompt:
        """The prompt rooms of ``vertical`` get (following ``fallback``)."""
        room = self.lookup(vertical)
        chosen = self.files[room]
        seen = {room}
        while chosen.fallback is not None:
            chosen = self.files[chosen.fallback]
            if chosen.id in seen:
                raise ConfigError(f"prompts/asr: the fallbacks of {room!r} go round in a circle")
            seen.add(chosen.id)
        return AsrPrompt(chosen.id, chosen.name, chosen.version, chosen.prompt, chosen.hotwords, vertical=room)

    def own(self, vertical: str) -> AsrPrompt:
        """The vertical's own prompt, ignoring ``fallback`` (benchmarks measure it)."""
        f = self.files[self.lookup(vertical)]
        return AsrPrompt(f.id, f.name, f.version, f.prompt, f.hotwords, vertical=f.id)


def _read(path: Path) -> _PromptFile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"ASR prompt {path}: cannot read it: {e}") from e
    try:
        parsed = _PromptFile.model_validate(data)
    except ValidationError as e:
        raise ConfigError(f"ASR prompt {path}: {describe_validation_error(e)}") from e
    if parsed.id != path.stem:
        raise ConfigError(f"ASR prompt {path}: id {parsed.id!r} must match the file name {path.stem!r}")
    length = len(parsed.prompt) + sum(len(w) + 1 for w in parsed.hotwords)
    if length > MAX_PROMPT_CHARS:
        raise ConfigError(
            f"ASR prompt {path}: prompt and hotwords are {length} characters; at most {MAX_PROMPT_CHARS} "
            "(Whisper reads 223 tokens of context)"
        )
    return parsed


def _check(files: dict[str, _PromptFile], folder: Path) -> None:
    if DEFAULT_VERTICAL not in files:
        raise ConfigError(f"ASR prompts in {folder}: no {DEFAULT_VERTICAL}.toml")
    names: dict[str, str] = {}
    for f in files.values():
        if f.fallback is not None and f.fallback not in files:
            raise ConfigError(f"ASR prompt {f.id}: fallback {f.fallback!r} is not a vertical in {folder}")
        for name in {f.id, f.name.casefold(), *(a.casefold() for a in f.aliases)}:
            if names.setdefault(name, f.id) != f.id:
                raise ConfigError(f"ASR prompts: {name!r} names both {names[name]!r} and {f.id!r}")


@functools.lru_cache(maxsize=4)
def load_asr_prompts(folder: Path = PROMPTS) -> AsrPrompts:
    """Read and check every ``*.toml`` in ``folder`` (cached per folder)."""
    if not folder.is_dir():
        raise ConfigError(f"ASR prompts folder not found: {folder}")
    files = {f.id: f for f in map(_read, sorted(folder.glob("*.toml")))}
    _check(files, folder)
    return AsrPrompts(files)
