"""Sanctions: what a confirm decision imposes on a room, with its facts, basis, period and appeal route."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.service.audit import append_event
from monitor.service.db import aware
from monitor.service.errors import NotFound
from monitor.service.models import DecisionIn
from monitor.store.governance_schema import SanctionRow
from monitor.store.queue_schema import CaseRow

__all__ = ["DEFAULT_APPEAL_ROUTE", "get_sanction", "impose", "list_sanctions", "sanction_out"]

DEFAULT_APPEAL_ROUTE = "通过平台申诉入口提交申诉，由未参与原处理的审核员复核。"
"""Stated on a sanction whose decision gave no route of its own."""


def impose(session: Session, case: CaseRow, decision_id: int, decision: DecisionIn, actor: str,
           now: datetime) -> SanctionRow | None:
    """Record the sanction ``decision`` carries, if any (a confirm's), and its audit event."""
    if decision.sanction is None:
        return None
    terms = decision.terms
    facts = terms.facts if terms else decision.reason
    basis = terms.basis if terms else decision.policies
    period = terms.period_days if terms else None
    row = SanctionRow(case_id=case.id, decision_id=decision_id, stream_key=case.stream_key, stream=case.stream,
                      kind=decision.sanction, facts=facts, basis=json.dumps(basis, ensure_ascii=False),
                      starts_at=now, ends_at=now + timedelta(days=period) if period else None,
                      appeal_route=terms.appeal_route if terms else DEFAULT_APPEAL_ROUTE, status="active",
                      imposed_by=actor)
    session.add(row)
    session.flush()
    append_event(session, actor, "sanction.imposed", sanction_out(row, now), now)
    return row


def sanction_out(row: SanctionRow, now: datetime) -> dict[str, Any]:
    """The sanction as the API, the audit chain and exports show it; ``in_force`` as of ``now``."""
    ends = aware(row.ends_at) if row.ends_at else None
    return {
        "id": row.id, "case": row.case_id, "decision": row.decision_id, "room": row.stream_key,
        "stream": row.stream, "kind": row.kind, "facts": row.facts, "basis": json.loads(row.basis),
        "starts_at": aware(row.starts_at).isoformat(), "ends_at": ends.isoformat() if ends else None,
        "appeal_route": row.appeal_route, "status": row.status, "imposed_by": row.imposed_by,
        "lifted_at": aware(row.lifted_at).isoformat() if row.lifted_at else None,
        "in_force": row.status == "active" and (ends is None or ends > now),
    }


def list_sanctions(session: Session, now: datetime, *, room: str | None = None, status: str | None = None,
                   limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """Sanctions, newest first, of one room (its ``stream_key``) or all."""
    query = select(SanctionRow).order_by(SanctionRow.id.desc()).limit(limit).offset(offset)
    if room is not None:
        query = query.where(SanctionRow.stream_key == room)
    if status is not None:
        query = query.where(SanctionRow.status == status)
    return [sanction_out(row, now) for row in session.scalars(query)]


def get_sanction(session: Session, sanction_id: int, *, for_update: bool = False) -> SanctionRow:
    row = session.get(SanctionRow, sanction_id, with_for_update=for_update)
    if row is None:
        raise NotFound(f"no sanction {sanction_id}")
    return row
