"""Findings in, cases out: idempotent ingest, grouping by room, category and time, priority, listing."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from monitor.findings import RISK_ORDER
from monitor.service.audit import append_event, canonical_json
from monitor.service.db import aware, lock_for_write
from monitor.service.errors import NotFound
from monitor.service.models import CaseSummary, FindingIn, IngestResult
from monitor.service.rooms import case_priority, due_after, is_live, mark_live, room_for, stream_key
from monitor.service.webhooks.outbox import enqueue
from monitor.store.governance_schema import RoomRow
from monitor.store.queue_schema import CaseFindingRow, CaseRow, DecisionRow, IngestedFindingRow

__all__ = ["GROUPABLE", "STATUSES", "case_detail", "ingest_findings", "list_cases", "waiting_status"]

STATUSES: tuple[str, ...] = ("open", "leased", "held", "escalated", "decided")
GROUPABLE: tuple[str, ...] = ("open", "held", "escalated")
"""Cases a new finding may join; a leased case stays as its reviewer saw it (a new case opens instead)."""


def waiting_status(now: datetime) -> ColumnElement[str]:
    """The status as a reader sees it: a lapsed lease is back where the case waited before."""
    lapsed = and_(CaseRow.status == "leased", CaseRow.lease_expires <= now)
    back = sql_case((CaseRow.escalated, "escalated"), else_="open")
    return sql_case((lapsed, back), else_=CaseRow.status)


def _grow(case: CaseRow, finding: FindingIn, now: datetime) -> None:
    case.start, case.end = min(case.start, finding.start), max(case.end, finding.end)
    if RISK_ORDER[finding.risk] > RISK_ORDER[case.risk]:
        case.risk, case.priority = finding.risk, case_priority(finding.risk, case.tier, case.live_until is not None)
        case.due_at = min(aware(case.due_at), now + due_after(finding.risk, case.tier))
    case.updated_at = now


def _open_case(session: Session, finding: FindingIn, room: RoomRow, now: datetime) -> CaseRow:
    live = is_live(room.live_until, now)
    case = CaseRow(stream=finding.stream, stream_key=room.stream_key, category=finding.category,
                   start=finding.start, end=finding.end, risk=finding.risk,
                   priority=case_priority(finding.risk, room.tier, live),
                   due_at=now + due_after(finding.risk, room.tier), status="open", escalated=False, tier=room.tier,
                   live_until=room.live_until if live else None, created_at=now, updated_at=now)
    session.add(case)
    session.flush()
    return case


def _case_for(session: Session, finding: FindingIn, window: float) -> CaseRow | None:
    """A waiting case of the same room and category whose time span lies within ``window`` s of the finding."""
    return session.scalars(
        select(CaseRow)
        .where(CaseRow.stream_key == stream_key(finding.stream), CaseRow.category == finding.category,
               CaseRow.status.in_(GROUPABLE), CaseRow.start - window <= finding.start,
               CaseRow.end + window >= finding.start)
        .order_by(CaseRow.id).limit(1).with_for_update()
    ).first()


def _opened_event(case: CaseRow, findings: list[str]) -> dict[str, Any]:
    return {"case": case.id, "stream": case.stream, "category": case.category, "risk": case.risk,
            "priority": case.priority, "start": case.start, "end": case.end, "findings": findings,
            "opened_at": aware(case.created_at).isoformat(), "due_at": aware(case.due_at).isoformat()}


def ingest_findings(
    session: Session, findings: Sequence[FindingIn], actor: str, now: datetime, window: float
) -> IngestResult:
    """Store the findings not seen before (by id) and put each into a case; one audit event if any was new.

    A finding of risk ``pass`` is kept on record but opens no case. Each case opened queues a
    ``case.opened`` webhook in the same transaction.
    """
    unique = list({f.id: f for f in reversed(findings)}.values())[::-1]  # first occurrence of each id
    lock_for_write(session, [*(f"case:{stream_key(f.stream)}:{f.category}" for f in unique),
                             *(f"room:{stream_key(f.stream)}" for f in unique)])
    ids = [f.id for f in unique]
    seen = set(session.scalars(select(IngestedFindingRow.finding_id).where(IngestedFindingRow.finding_id.in_(ids))))
    new = sorted((f for f in unique if f.id not in seen), key=lambda f: (f.stream, f.category, f.start, f.id))
    opened: list[int] = []
    grown: list[int] = []
    members: dict[int, list[str]] = defaultdict(list)
    for finding in new:
        row = IngestedFindingRow(finding_id=finding.id, stream=finding.stream, category=finding.category,
                                 source=finding.source, risk=finding.risk, start=finding.start, end=finding.end,
                                 body=canonical_json(finding.model_dump(mode="json")), received_at=now)
        session.add(row)
        session.flush()
        room = room_for(session, finding.stream, now)
        if finding.provenance.get("live") is True:
            mark_live(session, room, now)
        if finding.risk == "pass":
            continue
        case = _case_for(session, finding, window)
        if case is None:
            case = _open_case(session, finding, room, now)
            opened.append(case.id)
        else:
            _grow(case, finding, now)
            if case.id not in opened and case.id not in grown:
                grown.append(case.id)
        session.add(CaseFindingRow(case_id=case.id, finding_row_id=row.id))
        members[case.id].append(finding.id)
    if new:
        session.flush()
        for case in session.scalars(select(CaseRow).where(CaseRow.id.in_(opened)).order_by(CaseRow.id)).all():
            enqueue(session, "case.opened", _opened_event(case, members[case.id]), now)
        append_event(session, actor, "findings.ingested",
                     {"findings": [f.id for f in new], "cases_opened": opened, "cases_grown": grown}, now)
    return IngestResult(received=len(findings), new=len(new), duplicates=len(findings) - len(new),
                        cases=sorted(opened + grown))


@dataclass(frozen=True, slots=True)
class CaseFilter:
    category: str | None = None
    source: str | None = None
    status: str | None = None
    tier: str | None = None


def _filtered(flt: CaseFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if flt.category is not None:
        where.append(CaseRow.category == flt.category)
    if flt.tier is not None:
        where.append(CaseRow.tier == flt.tier)
    if flt.source is not None:
        where.append(CaseRow.id.in_(
            select(CaseFindingRow.case_id)
            .join(IngestedFindingRow, IngestedFindingRow.id == CaseFindingRow.finding_row_id)
            .where(IngestedFindingRow.source == flt.source)
        ))
    return where


def _summaries(session: Session, rows: Sequence[tuple[CaseRow, str]], now: datetime) -> list[CaseSummary]:
    ids = [case.id for case, _ in rows]
    sources: dict[int, set[str]] = defaultdict(set)
    counts: dict[int, int] = defaultdict(int)
    for case_id, source in session.execute(
        select(CaseFindingRow.case_id, IngestedFindingRow.source)
        .join(IngestedFindingRow, IngestedFindingRow.id == CaseFindingRow.finding_row_id)
        .where(CaseFindingRow.case_id.in_(ids))
    ):
        sources[case_id].add(source)
        counts[case_id] += 1
    decisions: dict[int, str] = {}
    for case_id, action in session.execute(
        select(DecisionRow.case_id, DecisionRow.action).where(DecisionRow.case_id.in_(ids)).order_by(DecisionRow.id)
    ):
        decisions[case_id] = action  # the latest supersedes
    out = []
    for case, status in rows:
        leased = status == "leased"
        out.append(CaseSummary(
            id=case.id, stream=case.stream, category=case.category, risk=case.risk, priority=case.priority,
            status=status, start=case.start, end=case.end, due_at=aware(case.due_at),
            finding_count=counts[case.id],
            sources=sorted(sources[case.id]), lease_owner=case.lease_owner if leased else None,
            lease_expires=aware(case.lease_expires) if leased and case.lease_expires else None,
            decision=decisions.get(case.id), tier=case.tier,
            live=is_live(case.live_until, now),
        ))
    return out


def list_cases(
    session: Session, flt: CaseFilter, now: datetime, *, limit: int, offset: int
) -> tuple[list[CaseSummary], int, dict[str, int]]:
    """One page of cases (most urgent first), how many match, and the count per status."""
    status = waiting_status(now)
    where = _filtered(flt)
    counts = {s: 0 for s in STATUSES}
    for name, n in session.execute(select(status, func.count()).where(*where).group_by(status)):
        counts[name] = int(n)
    if flt.status is not None:
        where.append(status == flt.status)
    total = int(session.scalar(select(func.count()).select_from(CaseRow).where(*where)) or 0)
    rows = [(case, name) for case, name in session.execute(
        select(CaseRow, status).where(*where)
        .order_by(CaseRow.priority.desc(), CaseRow.due_at, CaseRow.id).limit(limit).offset(offset)
    )]
    return _summaries(session, rows, now), total, counts


def case_detail(session: Session, case_id: int, now: datetime) -> dict[str, Any]:
    """A case with its findings (as posted) and every decision on it, oldest first."""
    found = session.execute(select(CaseRow, waiting_status(now)).where(CaseRow.id == case_id)).first()
    if found is None:
        raise NotFound(f"no case {case_id}")
    summary = _summaries(session, [(found[0], found[1])], now)[0]
    bodies = session.scalars(
        select(IngestedFindingRow.body).join(CaseFindingRow, CaseFindingRow.finding_row_id == IngestedFindingRow.id)
        .where(CaseFindingRow.case_id == case_id).order_by(IngestedFindingRow.start, IngestedFindingRow.id)
    ).all()
    decisions = session.scalars(select(DecisionRow).where(DecisionRow.case_id == case_id).order_by(DecisionRow.id))
    return {
        **summary.model_dump(mode="json"),
        "findings": [json.loads(b) for b in bodies],
        "decisions": [
            {"id": d.id, "action": d.action, "reason": d.reason, "policies": json.loads(d.policies),
             "sanction": d.sanction, "decided_by": d.decided_by, "decided_at": aware(d.decided_at).isoformat(),
             "supersedes": d.supersedes_id}
            for d in decisions
        ],
    }
