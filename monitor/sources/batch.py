"""The sources of a batch rescan: files, folders, globs, URLs and manifests, expanded in order."""

from __future__ import annotations

import glob
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import ConfigError
from monitor.sources.open import is_url

__all__ = ["MEDIA_SUFFIXES", "BatchSource", "expand_sources", "read_manifest"]

MEDIA_SUFFIXES = frozenset({".mp4", ".flv", ".mkv", ".ts", ".m4a", ".wav", ".mp3", ".mov", ".webm", ".aac", ".m4v"})


@dataclass(frozen=True, slots=True)
class BatchSource:
    """One source to scan, with the platform's room metadata for it when the manifest gives some."""

    spec: str
    room_meta: Path | None = None
    stored_key: str | None = None
    """A source known only by its record in the store (a watched room): detectors run on its newest
    stored stages, without the media."""


def read_manifest(path: Path) -> list[BatchSource]:
    """One source per line, optionally a tab and a room-metadata JSON file; lines starting with ``#`` are comments.

    Relative paths are read from the manifest's folder.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read the manifest {path}: {e}") from e
    found = []
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        spec, _, meta = (part.strip() for part in text.partition("\t"))
        if not is_url(spec) and not Path(spec).is_absolute():
            spec = str(path.parent / spec)
        room = (path.parent / meta if not Path(meta).is_absolute() else Path(meta)) if meta else None
        if room is not None and not room.is_file():
            raise ConfigError(f"manifest {path} line {number}: no such room metadata file: {room}")
        found.append(BatchSource(spec, room))
    return found


def _expand_one(spec: str) -> list[str]:
    if is_url(spec):
        return [spec]
    path = Path(spec)
    if path.is_dir():
        return sorted(str(p) for p in path.rglob("*") if p.is_file() and p.suffix.lower() in MEDIA_SUFFIXES)
    if path.exists():
        return [spec]
    if glob.has_magic(spec):
        return sorted(p for p in glob.glob(spec, recursive=True) if Path(p).is_file())
    return [spec]  # reported as missing when it is scanned: one bad item does not stop the batch


def expand_sources(specs: Iterable[str], manifest: Path | None = None) -> list[BatchSource]:
    """Every source named on the command line and in the manifest, each once, in order."""
    items = [BatchSource(s) for spec in specs for s in _expand_one(spec)]
    if manifest is not None:
        items += read_manifest(manifest)
    unique: dict[str, BatchSource] = {}
    for item in items:
        unique.setdefault(item.spec, item)
    if not unique:
        raise ConfigError("nothing to rescan: give files, folders, globs or URLs, or --manifest FILE")
    return list(unique.values())
