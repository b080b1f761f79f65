"""The judge's prompt as data: ``prompts/judge/`` holds the system prompt, the few-shot examples, the
output schema and the version; a prompt change is a change of those files.

The folder is found beside this module (``monitor/judge/prompts`` is a link to the repository's
``prompts/judge``, so an editable install reads the files in place and a built wheel carries a copy).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from monitor.errors import ConfigError
from monitor.judge.item import JudgeItem
from monitor.judge.schema import Verdict

__all__ = ["PROMPTS", "JudgePrompt"]

PROMPTS = Path(__file__).with_name("prompts")
FILES = ("VERSION", "system.md", "examples.jsonl", "schema.json")
_FIELDS = tuple(JudgeItem.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class Example:
    """One few-shot example: a training-split sentence as a finding, and the answer wanted."""

    corpus: str
    id: str
    finding: Mapping[str, Any]
    answer: Verdict


@dataclass(frozen=True, slots=True)
class JudgePrompt:
    """The loaded prompt; ``id`` (version and content digest) goes into every judged finding's provenance."""

    version: str
    digest: str
    system: str
    examples: tuple[Example, ...]
    schema: Mapping[str, Any]

    @property
    def id(self) -> str:
        return f"{self.version}+{self.digest[:8]}"

    @classmethod
    def load(cls, folder: Path = PROMPTS) -> JudgePrompt:
        """Read and check the folder's files; anything missing or malformed is a ConfigError."""
        try:
            raw = {name: (folder / name).read_text(encoding="utf-8") for name in FILES}
        except OSError as e:
            raise ConfigError(f"cannot read the judge prompt in {folder}: {e}") from e
        version = raw["VERSION"].strip()
        if not version:
            raise ConfigError(f"{folder / 'VERSION'} is empty")
        try:
            schema = json.loads(raw["schema.json"])
            examples = tuple(_example(json.loads(line)) for line in raw["examples.jsonl"].splitlines() if line.strip())
        except (json.JSONDecodeError, ValidationError, KeyError, TypeError, ValueError) as e:
            raise ConfigError(f"judge prompt {folder}: {e}") from e
        digest = hashlib.sha256("\x1f".join(raw[name] for name in FILES).encode()).hexdigest()
        shown = json.dumps(schema, ensure_ascii=False)
        system = f"{raw['system.md'].strip()}\n\n输出的 JSON 须符合此 schema：\n{shown}"
        return cls(version=version, digest=digest, system=system, examples=examples, schema=schema)

    def messages(self, item: JudgeItem) -> list[dict[str, str]]:
        """The chat: the system prompt, each example as a user turn and its answer, then the finding."""
        turns = [{"role": "system", "content": self.system}]
        for example in self.examples:
            turns.append({"role": "user", "content": _json(example.finding)})
            turns.append({"role": "assistant", "content": _json(example.answer.model_dump())})
        turns.append({"role": "user", "content": _json(item.fields())})
        return turns


def _json(data: Mapping[str, Any]) -> str:
    """Compact JSON: every hostile string quoted and escaped, so it can only ever be a value."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _example(row: Mapping[str, Any]) -> Example:
    finding = row["finding"]
    if not isinstance(finding, dict) or tuple(finding) != _FIELDS:
        raise ValueError(f"example {row.get('id')!r}: finding must have the fields {_FIELDS} in that order")
    return Example(corpus=row["corpus"], id=row["id"], finding=finding, answer=Verdict.model_validate(row["answer"]))
