"""The keys a source's record and findings are kept under in the store, for ``scan --store`` and ``rescan``.

A source's key is the sha256 of its bytes (a URL: of the URL and the capture time); each
observation stage is kept under its stage key (:mod:`monitor.pipeline.stage_keys`), and a
source's findings and ``done`` status under a run key made of every stage key and the
detector key. A scan that stores its record is therefore found by a later rescan with the
same settings (nothing is made again) or with new rules (only the detectors run).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.config import ScanOptions
from monitor.detectors.claims import ClaimEngine
from monitor.errors import SourceNotFound
from monitor.observations.record import StreamRecord
from monitor.pipeline.stage_keys import detector_key, file_digest, live_stage_key, stage_key
from monitor.sources.open import is_url
from monitor.store import Store
from monitor.store.parts import RecordView

__all__ = ["STAGES", "SourceKeys", "live_source_keys", "save_stages", "source_key", "source_keys", "stored_source_keys"]

STAGES = ("screen", "speech")


def source_key(spec: str, captured: datetime | None = None) -> tuple[str, int | None]:
    """``sha256:<hex>`` of a file's bytes (and its size), or ``url:<hex>`` of a URL and its capture time."""
    if is_url(spec):
        when = (captured or datetime.now(UTC)).isoformat()
        return "url:" + hashlib.sha256(f"{spec}\x1f{when}".encode()).hexdigest(), None
    path = Path(spec)
    if not path.is_file():
        raise SourceNotFound(f"no such file: {path}")
    return "sha256:" + file_digest(path), path.stat().st_size


@dataclass(frozen=True, slots=True)
class SourceKeys:
    """Where one source's stages, findings and status live in the store under one set of options."""

    source: str
    size: int | None
    stages: Mapping[str, str]
    """Stage name → stage key, for each stage the options ask for."""
    run: str
    settings: Mapping[str, Any]

    def with_settings(self, **more: Any) -> SourceKeys:
        """The same keys with more settings (a judge) in the run key."""
        settings = {**self.settings, **more}
        return replace(self, run=_hash(settings), settings=settings)


def source_keys(spec: str, options: ScanOptions, claims: ClaimEngine, room: Path | None) -> SourceKeys:
    """The keys of ``spec`` under ``options`` (raises :class:`SourceNotFound` for a missing file)."""
    key, size = source_key(spec)
    wanted = {"screen": options.screen or options.faces, "speech": options.speech}
    stages = {stage: stage_key(stage, options) for stage in STAGES if wanted[stage]}
    return _with_run(key, size, stages, options, claims, room)


def live_source_keys(
    spec: str, captured: datetime, stages: tuple[str, ...], options: ScanOptions, claims: ClaimEngine
) -> SourceKeys:
    """The keys of a room ``watch`` read from ``captured`` on: its ``stages`` under their live keys."""
    key, size = source_key(spec, captured)
    return _with_run(key, size, {s: live_stage_key(s, options) for s in stages}, options, claims, None)


def stored_source_keys(
    store: Store, key: str, options: ScanOptions, claims: ClaimEngine, room: Path | None
) -> SourceKeys:
    """The keys of a source known by its stored record: its newest stage records, whatever made them."""
    stages = store.newest_stage_keys(key)
    if not stages:
        raise SourceNotFound(f"nothing is stored for {key}")
    return _with_run(key, None, stages, options, claims, room)


def _with_run(
    key: str, size: int | None, stages: Mapping[str, str], options: ScanOptions, claims: ClaimEngine,
    room: Path | None,
) -> SourceKeys:
    settings = {"stages": dict(stages), "detectors": detector_key(options, claims, room)}
    return SourceKeys(key, size, stages, _hash(settings), settings)


def _hash(settings: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def save_stages(
    store: Store, keys: SourceKeys, made: tuple[str, ...], record: StreamRecord | RecordView,
    images: Mapping[str, bytes],
) -> tuple[dict[str, RecordView], dict[str, str]]:
    """Store each stage just observed (the screen stage with every sampled frame's snapshot, read one at a
    time); return each stage's part of the record and the snapshots' blob ids by name.

    A record whose sequences were written as parts keeps them: parts written elsewhere than the
    store's blobs are copied in first.
    """
    view = record if isinstance(record, RecordView) else RecordView(record)
    if view.blobs is not None and view.blobs is not store.blobs:
        for digest in view.parts.blobs():
            store.blobs.put(view.blobs.get(digest))
    parts: dict[str, RecordView] = {}
    snapshots: dict[str, str] = {}
    for stage in made:
        part = view.stage(stage)
        saved = store.save_stage(keys.source, stage, keys.stages[stage], part.head,
                                 images if stage == "screen" else {}, part.parts)
        parts[stage] = RecordView(part.head, part.parts, store.blobs)
        snapshots.update(saved.snapshots)
    return parts, snapshots
