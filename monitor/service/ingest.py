"""Findings in: idempotent by id, each put into a case of its room and category close in time.

A batch costs a fixed number of statements whatever its size: one lock statement, one read each of
the ids already seen, the batch's rooms and the cases it may join, bulk inserts of the new findings,
rooms, cases and links, one webhook query and one audit event. Grouping happens here, in memory,
over the cases read under lock (and the ones this batch opens), in the same order the one-finding-
at-a-time reading used: findings by stream, category, start and id; a finding joins the oldest
waiting case whose span comes within ``window`` seconds of its start.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from monitor.findings import RISK_ORDER
from monitor.service.audit import append_event, canonical_json
from monitor.service.db import aware, lock_for_write
from monitor.service.models import FindingIn, IngestResult
from monitor.service.room_leases import fence_findings
from monitor.service.rooms import case_priority, due_after, is_live, mark_live, rooms_for, stream_key
from monitor.service.webhooks.outbox import enqueue_many
from monitor.store.governance_schema import RoomRow
from monitor.store.queue_schema import CaseFindingRow, CaseRow, IngestedFindingRow

__all__ = ["GROUPABLE", "ingest_findings"]

GROUPABLE: tuple[str, ...] = ("open", "held", "escalated")
"""Cases a new finding may join; a leased case stays as its reviewer saw it (a new case opens instead)."""

_Group = tuple[str, str]
"""A room's stream key and a category."""


def _near(case: CaseRow, finding: FindingIn, window: float) -> bool:
    return case.start - window <= finding.start <= case.end + window


def _grow(case: CaseRow, finding: FindingIn, now: datetime) -> None:
    case.start, case.end = min(case.start, finding.start), max(case.end, finding.end)
    if RISK_ORDER[finding.risk] > RISK_ORDER[case.risk]:
        case.risk, case.priority = finding.risk, case_priority(finding.risk, case.tier, case.live_until is not None)
        case.due_at = min(aware(case.due_at), now + due_after(finding.risk, case.tier))
    case.updated_at = now


def _new_case(finding: FindingIn, room: RoomRow, now: datetime) -> CaseRow:
    live = is_live(room.live_until, now)
    return CaseRow(stream=finding.stream, stream_key=room.stream_key, category=finding.category,
                   start=finding.start, end=finding.end, risk=finding.risk,
                   priority=case_priority(finding.risk, room.tier, live),
                   due_at=now + due_after(finding.risk, room.tier), status="open", escalated=False, tier=room.tier,
                   live_until=room.live_until if live else None, created_at=now, updated_at=now)


def _waiting_cases(session: Session, findings: Sequence[FindingIn], window: float) -> dict[_Group, list[CaseRow]]:
    """The waiting cases the findings may join, locked, oldest first per room and category."""
    groups = sorted({(stream_key(f.stream), f.category) for f in findings})
    lo, hi = min(f.start for f in findings), max(f.start for f in findings)
    rows = session.scalars(
        select(CaseRow)
        .where(tuple_(CaseRow.stream_key, CaseRow.category).in_(groups), CaseRow.status.in_(GROUPABLE),
               CaseRow.start - window <= hi, CaseRow.end + window >= lo)
        .order_by(CaseRow.id).with_for_update()
    ).all()
    cases: dict[_Group, list[CaseRow]] = defaultdict(list)
    for case in rows:
        cases[(case.stream_key, case.category)].append(case)
    return cases


def _opened_event(case: CaseRow, findings: list[str]) -> dict[str, Any]:
    return {"case": case.id, "stream": case.stream, "category": case.category, "risk": case.risk,
            "priority": case.priority, "start": case.start, "end": case.end, "findings": findings,
            "opened_at": aware(case.created_at).isoformat(), "due_at": aware(case.due_at).isoformat()}


def ingest_findings(
    session: Session, findings: Sequence[FindingIn], actor: str, now: datetime, window: float
) -> IngestResult:
    """Store the findings not seen before (by id) and put each into a case; one audit event if any was new.

    Findings that name a room lease which had ended before they were found are refused first
    (:func:`monitor.service.room_leases.fence_findings`: a worker that lost a room does not post as its holder).

    A finding of risk ``pass`` is kept on record but opens no case. Each case opened queues a
    ``case.opened`` webhook in the same transaction.
    """
    received = len(findings)
    lock_for_write(session, [*(f"case:{stream_key(f.stream)}:{f.category}" for f in findings),
                             *(f"room:{stream_key(f.stream)}" for f in findings)])  # first: SQLite writes first
    findings, fenced = fence_findings(session, findings)
    if not findings:
        append_event(session, actor, "findings.fenced", {"findings": fenced}, now)
        return IngestResult(received=received, new=0, duplicates=0, cases=[], fenced=fenced)
    unique = list({f.id: f for f in reversed(findings)}.values())[::-1]  # first occurrence of each id
    ids = [f.id for f in unique]
    seen = set(session.scalars(select(IngestedFindingRow.finding_id).where(IngestedFindingRow.finding_id.in_(ids))))
    new = sorted((f for f in unique if f.id not in seen), key=lambda f: (f.stream, f.category, f.start, f.id))
    if not new:
        if fenced:
            append_event(session, actor, "findings.fenced", {"findings": fenced}, now)
        return IngestResult(received=received, new=0, duplicates=len(findings), cases=[], fenced=fenced)
    rooms = rooms_for(session, [f.stream for f in new], now)
    mark_live(session, [rooms[stream_key(f.stream)] for f in new if f.provenance.get("live") is True], now)
    rows = [IngestedFindingRow(finding_id=f.id, stream=f.stream, category=f.category, source=f.source, risk=f.risk,
                               start=f.start, end=f.end, body=canonical_json(f.model_dump(mode="json")),
                               received_at=now) for f in new]
    session.add_all(rows)
    grouped = [f for f in new if f.risk != "pass"]
    waiting = _waiting_cases(session, grouped, window) if grouped else {}
    opened: list[CaseRow] = []
    grown: dict[int, CaseRow] = {}
    placed: list[tuple[CaseRow, IngestedFindingRow]] = []
    for finding, row in zip(new, rows, strict=True):
        if finding.risk == "pass":
            continue
        group = (stream_key(finding.stream), finding.category)
        case = next((c for c in waiting.get(group, ()) if _near(c, finding, window)), None)
        if case is None:
            case = _new_case(finding, rooms[group[0]], now)
            waiting.setdefault(group, []).append(case)
            opened.append(case)
        else:
            _grow(case, finding, now)
            if case.id is not None:
                grown[case.id] = case
        placed.append((case, row))
    session.add_all(opened)
    session.flush()
    session.add_all(CaseFindingRow(case_id=case.id, finding_row_id=row.id) for case, row in placed)
    members: dict[int, list[str]] = defaultdict(list)
    for case, row in placed:
        members[case.id].append(row.finding_id)
    enqueue_many(session, "case.opened", [_opened_event(case, members[case.id]) for case in opened], now)
    opened_ids = [case.id for case in opened]
    payload: dict[str, Any] = {"findings": [f.id for f in new], "cases_opened": opened_ids,
                               "cases_grown": list(grown)}
    if fenced:
        payload["fenced"] = fenced
    append_event(session, actor, "findings.ingested", payload, now)
    return IngestResult(received=received, new=len(new), duplicates=len(findings) - len(new),
                        cases=sorted(opened_ids + list(grown)), fenced=fenced)
