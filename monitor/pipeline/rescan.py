"""Batch rescans over the store: observe only what is not stored yet, detect, keep every source's status.

For each source: its key is the sha256 of its bytes (a URL: of the URL and the capture
time); each observation stage is loaded from the store when a record under the same stage
key exists, and made (then stored) otherwise; the detectors run on the record; the findings
and the source's ``done`` status are committed together. A rescan started again skips every
source already done under the same settings, so a killed rescan resumes where it stopped.
Models are loaded only for stages that must be made: a rules-only rescan loads none.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from monitor.config import ScanOptions
from monitor.detectors.claims import ClaimEngine
from monitor.detectors.digital_human import load_room_meta
from monitor.errors import LivemonError
from monitor.judge import Judge
from monitor.media.snapshots import SnapshotStore
from monitor.pipeline.asr_prompts import room_options
from monitor.pipeline.clip_evidence import clip_records
from monitor.pipeline.engines import Engines, build_claim_engine, build_engines
from monitor.pipeline.progress import ProgressHook, silent
from monitor.pipeline.scan import Observed, findings_of, observe
from monitor.pipeline.stored import SourceKeys, save_stages, source_keys, stored_source_keys
from monitor.results import RescanItem, RescanSummary
from monitor.sinks.report_data import report_summary
from monitor.sources.batch import BatchSource
from monitor.store import Store
from monitor.store.parts import RecordView

__all__ = ["Backend", "RescanWorker", "rescan"]

FindingsSink = Callable[[str, Sequence[tuple[dict[str, Any], bytes | None]]], None]
"""Receives a finished source's spec and its findings (JSON objects with their snapshot JPEG)."""


class _LazyEngines:
    """Observation models built on first need, one set per combination of stages (or ``given`` for all)."""

    def __init__(self, options: ScanOptions, claims: ClaimEngine, given: Engines | None = None) -> None:
        self.options, self.claims, self.given = options, claims, given
        self._built: dict[tuple[str, ...], Engines] = {}

    def for_stages(self, stages: tuple[str, ...]) -> Engines:
        if self.given is not None:
            return self.given
        if stages not in self._built:
            o = self.options
            only = o.model_copy(update={
                "speech": o.speech and "speech" in stages,
                "screen": o.screen and "screen" in stages,
                "faces": o.faces and "screen" in stages,
            })
            self._built[stages] = build_engines(only, claims=self.claims)
        return self._built[stages]


def _observe_missing(
    store: Store, keys: SourceKeys, spec: str, options: ScanOptions, engines: _LazyEngines, hook: ProgressHook,
) -> tuple[RecordView, dict[str, str], tuple[str, ...]]:
    """The source's record: stages stored under ``keys`` loaded, missing ones observed (their sequences written
    to the store as they are made) and stored."""
    stored = {stage: store.load_stage(keys.source, stage, k) for stage, k in keys.stages.items()}
    missing = tuple(stage for stage, found in stored.items() if found is None)
    snapshots: dict[str, str] = {}
    parts: dict[str, RecordView] = {}
    if missing:
        with tempfile.TemporaryDirectory(prefix="livemon-snapshots-") as spill:
            observed = observe(spec, options, engines.for_stages(missing), hook, stages=missing, spill=Path(spill),
                               blobs=store.blobs)
            parts, snapshots = save_stages(store, keys, missing, observed.record, observed.snapshots.images)
    for stage, found in stored.items():
        if found is not None:
            parts[stage] = found.view(store.blobs)
            snapshots.update(found.snapshots)
    if not parts:
        raise LivemonError("nothing to observe: speech, screen and faces are all off")
    return RecordView.joined(list(parts.values()), store.blobs), snapshots, missing


def _detect(
    spec: str, record: RecordView, options: ScanOptions, claims: ClaimEngine, room: Path | None,
    judge: Judge | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The findings (JSON objects) and the report's summary."""
    meta = load_room_meta(room) if room is not None else None
    result = findings_of(spec, Observed(record, SnapshotStore()), options, claims, room=meta)
    if judge is not None:
        result.findings = judge.findings(result.findings, result.provenance.get("rule_descriptions", {}))
        result.provenance["judge"] = judge.key()
    return [f.to_dict() for f in result.findings], report_summary(result)


def current_findings(store: Store, key: str) -> list[tuple[dict[str, Any], bytes | None]]:
    return [(body, store.blobs.get(blob) if blob else None) for body, blob in store.current_findings(key)]


class RescanWorker:
    """Rescans one source at a time into a store: what a process (local, or a Ray actor) holds."""

    def __init__(
        self, options: ScanOptions, store: Store, claims: ClaimEngine | None = None, engines: Engines | None = None,
        judge: Judge | None = None,
    ) -> None:
        self.options, self.store, self.judge = options, store, judge
        self.claims = claims or build_claim_engine(options.rule_packs, options.allow_list, options.classifier)
        self.engines = _LazyEngines(options, self.claims, engines)

    def run(self, item: BatchSource, hook: ProgressHook = silent) -> RescanItem:
        """Observe what is missing, detect, and commit the findings with the source's status."""
        started = time.perf_counter()
        store, options = self.store, self.options
        room = item.room_meta or options.room_meta
        item_options = options if room == options.room_meta else options.model_copy(update={"room_meta": room})
        try:
            item_options = room_options(item_options, load_room_meta(room) if room is not None else None)
            keys = (
                stored_source_keys(store, item.stored_key, item_options, self.claims, room)
                if item.stored_key is not None
                else source_keys(item.spec, item_options, self.claims, room)
            )
        except LivemonError as e:
            return RescanItem(item.spec, "failed", error=str(e), seconds=time.perf_counter() - started)
        if self.judge is not None:
            keys = keys.with_settings(judge=self.judge.key())
        key, run_key = keys.source, keys.run
        store.remember_source(key, item.spec, keys.size)
        store.remember_run(run_key, keys.settings)
        try:
            if store.status(key, run_key) == "done" and not self._judge_pending(key):
                found = len(store.current_findings(key))
                return RescanItem(item.spec, "skipped", found, source_key=key, seconds=time.perf_counter() - started)
            record, snapshots, made = _observe_missing(store, keys, item.spec, item_options, self.engines, hook)
            findings, summary = _detect(item.spec, record, item_options, self.claims, room, self.judge)
        except LivemonError as e:
            store.mark_failed(key, run_key, str(e))
            return RescanItem(item.spec, "failed", error=str(e), source_key=key, seconds=time.perf_counter() - started)
        store.record_findings(key, run_key, findings, snapshots, summary)
        return RescanItem(item.spec, "done", len(findings), made, source_key=key, seconds=time.perf_counter() - started)

    def _judge_pending(self, key: str) -> bool:
        """A source done with the judge whose call failed for some finding is done again (the verdicts
        already given come from the judge's cache)."""
        return self.judge is not None and self.judge.pending([body for body, _ in self.store.current_findings(key)])


def rescan(
    items: Sequence[BatchSource],
    options: ScanOptions,
    store: Store,
    sink: FindingsSink,
    *,
    claims: ClaimEngine | None = None,
    engines: Engines | None = None,
    hook: ProgressHook = silent,
    on_item: Callable[[RescanItem], None] | None = None,
    backend: Backend | None = None,
    clips: Path | None = None,
    judge: Judge | None = None,
) -> RescanSummary:
    """Rescan ``items`` into ``store``; ``sink`` gets each finished source's findings, including those
    of sources already done under these settings (so the output is whole after a resume).

    With ``clips`` (a folder) each finding gets an evidence clip cut from its source when the
    source is a readable file (clips are not stored: they are made for the output).

    ``backend`` runs the sources elsewhere (:class:`monitor.pipeline.ray_backend.RayBackend`);
    by default they run here, one after another, with ``claims`` and ``engines`` when already
    loaded (else the claim engine is built from ``options`` and observation models only when a
    stage must be made). ``judge`` (local runs only) gives review findings an LLM second opinion.
    """
    started = time.perf_counter()
    summary = RescanSummary()
    if backend is not None:
        results: Iterable[RescanItem] = backend.run(items, options)
    else:
        worker = RescanWorker(options, store, claims, engines, judge)
        results = (worker.run(item, hook) for item in items)
    hook("files", 0, len(items))
    for done, one in enumerate(results, 1):
        if one.source_key is not None and one.status != "failed":
            found = current_findings(store, one.source_key)
            sink(one.spec, clip_records(one.spec, found, clips) if clips is not None else found)
        summary.items.append(one)
        hook("files", done, len(items))
        if on_item is not None:
            on_item(one)
    summary.seconds = time.perf_counter() - started
    return summary


class Backend(Protocol):
    """Runs sources somewhere else and yields what became of each, as each finishes."""

    def run(self, items: Sequence[BatchSource], options: ScanOptions) -> Iterator[RescanItem]: ...
