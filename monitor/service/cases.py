"""Cases out: the queue as readers see it (lapsed leases count as waiting), filtered pages and one case in full.

Findings come in through :mod:`monitor.service.ingest`."""

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

from monitor.service.db import aware
from monitor.service.errors import NotFound
from monitor.service.models import CaseSummary
from monitor.service.rooms import is_live
from monitor.store.queue_schema import CaseFindingRow, CaseRow, DecisionRow, IngestedFindingRow

__all__ = ["STATUSES", "CaseFilter", "case_detail", "list_cases", "waiting_status"]

STATUSES: tuple[str, ...] = ("open", "leased", "held", "escalated", "decided")


def waiting_status(now: datetime) -> ColumnElement[str]:
    """The status as a reader sees it: a lapsed lease is back where the case waited before."""
    lapsed = and_(CaseRow.status == "leased", CaseRow.lease_expires <= now)
    back = sql_case((CaseRow.escalated, "escalated"), else_="open")
    return sql_case((lapsed, back), else_=CaseRow.status)


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
