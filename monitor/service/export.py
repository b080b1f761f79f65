"""What a regulator asks for: findings, cases, decisions, sanctions, appeals and the audit events of a period,
as JSON and CSV, with the evidence files they cite and a manifest of every file's sha256.

The export itself is an audit event carrying the manifest's sha256, so a bundle can be matched to
the chain later. CSV cells that a spreadsheet would run as a formula are written inert.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.errors import ConfigError
from monitor.service.appeals import appeal_out
from monitor.service.audit import append_event, canonical_json
from monitor.service.db import aware
from monitor.service.rooms import stream_key
from monitor.service.sanctions import sanction_out
from monitor.store import Store
from monitor.store.blobs import file_sha256
from monitor.store.governance_schema import AppealRow, SanctionRow
from monitor.store.queue_schema import (
    AuditEventRow,
    AuditHeadRow,
    CaseFindingRow,
    CaseRow,
    DecisionRow,
    IngestedFindingRow,
)

__all__ = ["ExportSummary", "export_records", "inert_cell"]

_EVIDENCE_KEYS = {"snapshot_sha256": ".jpg", "clip_sha256": ".mp4"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class ExportSummary:
    folder: Path
    counts: dict[str, int]
    manifest_sha256: str


def inert_cell(value: Any) -> Any:
    """A text cell a spreadsheet would evaluate (``=``, ``+``, ``-``, ``@``…) gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, list | dict):
        return inert_cell(json.dumps(value, ensure_ascii=False))
    return value


def _write_table(folder: Path, name: str, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> list[Path]:
    json_path, csv_path = folder / f"{name}.json", folder / f"{name}.csv"
    json_path.write_text(json.dumps(list(rows), ensure_ascii=False, indent=1), encoding="utf-8")
    with csv_path.open("w", newline="", encoding="utf-8-sig") as handle:  # the BOM lets Excel read UTF-8
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([inert_cell(row.get(column)) for column in columns])
    return [json_path, csv_path]


def _in(column: Any, since: datetime, until: datetime) -> Any:
    return (column >= since) & (column < until)


def _findings(s: Session, since: datetime, until: datetime, room: str | None) -> list[dict[str, Any]]:
    query = (select(IngestedFindingRow, CaseFindingRow.case_id)
             .outerjoin(CaseFindingRow, CaseFindingRow.finding_row_id == IngestedFindingRow.id)
             .where(_in(IngestedFindingRow.received_at, since, until)).order_by(IngestedFindingRow.id))
    out = []
    for row, case_id in s.execute(query):
        if room is not None and stream_key(row.stream) != room:
            continue
        body = json.loads(row.body)
        out.append({**body, "case": case_id, "received_at": aware(row.received_at).isoformat()})
    return out


def _cases(s: Session, since: datetime, until: datetime, room: str | None) -> list[dict[str, Any]]:
    query = select(CaseRow).where(_in(CaseRow.created_at, since, until)).order_by(CaseRow.id)
    if room is not None:
        query = query.where(CaseRow.stream_key == room)
    return [{"id": c.id, "room": c.stream_key, "stream": c.stream, "category": c.category, "risk": c.risk,
             "tier": c.tier, "start": c.start, "end": c.end, "status": c.status,
             "created_at": aware(c.created_at).isoformat(), "due_at": aware(c.due_at).isoformat()}
            for c in s.scalars(query)]


def _decisions(s: Session, since: datetime, until: datetime, room: str | None) -> list[dict[str, Any]]:
    query = (select(DecisionRow, CaseRow.stream, CaseRow.stream_key).join(CaseRow, CaseRow.id == DecisionRow.case_id)
             .where(_in(DecisionRow.decided_at, since, until)).order_by(DecisionRow.id))
    if room is not None:
        query = query.where(CaseRow.stream_key == room)
    return [{"id": d.id, "case": d.case_id, "room": key, "stream": stream, "action": d.action, "reason": d.reason,
             "policies": json.loads(d.policies), "sanction": d.sanction, "decided_by": d.decided_by,
             "decided_at": aware(d.decided_at).isoformat(), "supersedes": d.supersedes_id}
            for d, stream, key in s.execute(query)]


def _sanctions(s: Session, since: datetime, until: datetime, room: str | None) -> list[dict[str, Any]]:
    query = select(SanctionRow).where(_in(SanctionRow.starts_at, since, until)).order_by(SanctionRow.id)
    if room is not None:
        query = query.where(SanctionRow.stream_key == room)
    return [sanction_out(row, until) for row in s.scalars(query)]


def _appeals(s: Session, since: datetime, until: datetime, room: str | None) -> list[dict[str, Any]]:
    query = (select(AppealRow).join(SanctionRow, SanctionRow.id == AppealRow.sanction_id)
             .where(_in(AppealRow.filed_at, since, until)).order_by(AppealRow.id))
    if room is not None:
        query = query.where(SanctionRow.stream_key == room)
    return [appeal_out(row) for row in s.scalars(query)]


def _audit(s: Session, since: datetime, until: datetime) -> list[dict[str, Any]]:
    query = select(AuditEventRow).where(_in(AuditEventRow.at, since, until)).order_by(AuditEventRow.seq)
    return [{"seq": e.seq, "prev_hash": e.prev_hash, "hash": e.hash, "actor": e.actor, "action": e.action,
             "payload": json.loads(e.payload), "at": aware(e.at).isoformat(timespec="microseconds")}
            for e in s.scalars(query)]


def _evidence(store: Store, findings: Iterable[dict[str, Any]], folder: Path) -> list[Path]:
    """Copy every evidence blob the findings cite, checked against its sha256 on the way."""
    written = []
    for finding in findings:
        evidence = finding.get("evidence") or {}
        for key, suffix in _EVIDENCE_KEYS.items():
            digest = evidence.get(key)
            if not isinstance(digest, str):
                continue
            target = folder / f"{digest}{suffix}"
            if not target.exists():
                target.write_bytes(store.blobs.get(digest))  # raises when the blob is missing or altered
                written.append(target)
    return written



_COLUMNS: dict[str, tuple[str, ...]] = {
    "findings": ("id", "case", "stream", "category", "risk", "source", "start", "end", "text", "confidence",
                 "rule", "basis", "evidence", "received_at"),
    "cases": ("id", "room", "stream", "category", "risk", "tier", "start", "end", "status", "created_at", "due_at"),
    "decisions": ("id", "case", "room", "stream", "action", "reason", "policies", "sanction", "decided_by",
                  "decided_at", "supersedes"),
    "sanctions": ("id", "case", "decision", "room", "stream", "kind", "facts", "basis", "starts_at", "ends_at",
                  "appeal_route", "status", "imposed_by", "lifted_at"),
    "appeals": ("id", "sanction", "statement", "filed_by", "filed_at", "status", "decided_by", "decided_at",
                "reason"),
    "audit": ("seq", "prev_hash", "hash", "actor", "action", "payload", "at"),
}


def export_records(store: Store, folder: Path, since: datetime, until: datetime, actor: str, now: datetime,
                   room_stream: str | None = None) -> ExportSummary:
    """Write the records of ``[since, until)`` (of one room if ``room_stream``) into the new folder ``folder``."""
    if since >= until:
        raise ConfigError(f"the period is empty: {since.isoformat()} is not before {until.isoformat()}")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ConfigError(f"export into a new or empty folder; {folder} is not")
    since, until = aware(since), aware(until)
    room = stream_key(room_stream) if room_stream is not None else None
    (folder / "evidence").mkdir(parents=True, exist_ok=True)
    with store.session() as s:
        tables = {
            "findings": _findings(s, since, until, room),
            "cases": _cases(s, since, until, room),
            "decisions": _decisions(s, since, until, room),
            "sanctions": _sanctions(s, since, until, room),
            "appeals": _appeals(s, since, until, room),
            "audit": _audit(s, since, until),
        }
        head = s.get_one(AuditHeadRow, 1)
        chain_head = {"seq": head.seq, "hash": head.hash}
    files = [path for name, rows in tables.items() for path in _write_table(folder, name, rows, _COLUMNS[name])]
    files += _evidence(store, tables["findings"], folder / "evidence")
    counts = {name: len(rows) for name, rows in tables.items()} | {"evidence_files": len(files) - 2 * len(tables)}
    manifest = {
        "generated_at": now.isoformat(), "generated_by": actor, "period": [since.isoformat(), until.isoformat()],
        "room": room, "room_stream": room_stream, "counts": counts, "chain_head_at_export": chain_head,
        "files": [{"path": p.relative_to(folder).as_posix(), "sha256": file_sha256(p), "bytes": p.stat().st_size}
                  for p in sorted(files)],
    }
    text = canonical_json(manifest)
    (folder / "manifest.json").write_text(text, encoding="utf-8")
    manifest_sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    with store.session() as s:
        append_event(s, actor, "records.exported",
                     {"period": manifest["period"], "room": room, "counts": counts, "manifest_sha256": manifest_sha},
                     now)
    return ExportSummary(folder, counts, manifest_sha)
