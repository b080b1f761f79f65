"""A source's report made again from the store: its current findings and their snapshots, its record's
transcript read a part at a time, and the summary its last scan or rescan kept (``livemon report``)."""

from __future__ import annotations

import json
from pathlib import Path

from monitor.detectors.digital_human import RoomMeta
from monitor.errors import LivemonError, SourceNotFound
from monitor.findings import Finding
from monitor.observations.record import load_json
from monitor.pipeline.stage_keys import file_digest
from monitor.sinks.report_data import ReportData
from monitor.sources.open import is_url
from monitor.store import Store
from monitor.store.parts import RecordView

__all__ = ["find_source", "stored_report"]


def find_source(store: Store, source: str) -> str:
    """The store's key of ``source``: a key as the store names it, a file (by the sha256 of its bytes), or a
    path or URL as it was scanned (its newest capture)."""
    known = store.stored_sources()
    if any(key == source for key, _ in known):
        return source
    path = Path(source)
    if not is_url(source) and path.is_file():
        key = "sha256:" + file_digest(path)
        if any(k == key for k, _ in known):
            return key
    named = [key for key, spec in known if spec == source]
    if named:
        return named[-1]
    raise SourceNotFound(f"the store holds no record of {source}")


def stored_report(store: Store, key: str) -> ReportData:
    """What the report of the source ``key`` shows, read from the store as its last finished run left it."""
    run = store.latest_run(key)
    if run is None:
        raise SourceNotFound(f"no scan or rescan of {key} has finished in this store")
    if run.summary is None:
        raise SourceNotFound(
            f"the last run over {key} kept no report summary (a watch keeps none): "
            "`livemon rescan --stored` makes one from the record"
        )
    views = []
    for stage, stage_key in run.settings["stages"].items():
        stored = store.load_stage(key, stage, stage_key)
        if stored is None:
            raise SourceNotFound(f"the {stage} record of {key} is missing from the store")
        views.append(stored.view(store.blobs))
    if not views:
        raise SourceNotFound(f"the last run over {key} observed nothing (speech, screen and faces were off)")
    record = RecordView.joined(views, store.blobs)
    head = record.head
    findings, blobs = [], {}
    for body, blob in store.current_findings(key):
        finding = load_json(Finding, json.dumps(body, ensure_ascii=False))
        findings.append(finding)
        if blob and finding.evidence.snapshot:
            blobs[finding.evidence.snapshot] = blob
    transcript = record.transcript()
    summary = run.summary
    try:
        room = RoomMeta.model_validate(summary["room"]) if summary["room"] else None
        kept = (float(summary["duration"]), dict(summary["provenance"]), [str(w) for w in summary["warnings"]])
        dh = summary["digital_human"]
    except (KeyError, TypeError, ValueError) as e:  # pydantic's ValidationError is a ValueError
        raise LivemonError(f"the report summary stored for {key} cannot be read: {e}") from e
    return ReportData(
        info=head.info,
        findings=findings,
        duration=kept[0],
        provenance=kept[1],
        warnings=kept[2],
        room=room,
        digital_human=dh,
        snapshot=lambda name: store.blobs.get(blobs[name]) if name in blobs else None,
        transcript=transcript if record.ordered("transcript") else sorted(transcript, key=lambda s: s.start),
    )
