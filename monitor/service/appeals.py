"""Appeals against sanctions: filed for the sanctioned party, decided by someone who had no part in the sanction.

Filing and deciding each queue a webhook (``appeal.filed``, ``appeal.decided``) in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.service.audit import append_event
from monitor.service.auth import Principal, require
from monitor.service.db import aware
from monitor.service.errors import Conflict, Forbidden, NotFound
from monitor.service.models import AppealDecisionIn, AppealIn
from monitor.service.rooms import refresh_tier
from monitor.service.sanctions import get_sanction
from monitor.service.webhooks.outbox import enqueue
from monitor.store.governance_schema import AppealRow
from monitor.store.queue_schema import DecisionRow

__all__ = ["APPEAL_DECIDERS", "APPEAL_FILERS", "appeal_out", "decide_appeal", "file_appeal", "list_appeals"]

APPEAL_FILERS: tuple[str, ...] = ("ingest", "lead", "admin")
"""The platform's integration (``ingest``) forwards the sanctioned party's appeal; leads may file one for them."""
APPEAL_DECIDERS: tuple[str, ...] = ("lead", "admin")


def appeal_out(row: AppealRow) -> dict[str, Any]:
    return {
        "id": row.id, "sanction": row.sanction_id, "statement": row.statement, "filed_by": row.filed_by,
        "filed_at": aware(row.filed_at).isoformat(), "status": row.status, "decided_by": row.decided_by,
        "decided_at": aware(row.decided_at).isoformat() if row.decided_at else None, "reason": row.reason,
    }


def _public(appeal: dict[str, Any]) -> dict[str, Any]:
    """An appeal as the platform's webhook gets it: no reviewer's name."""
    return {k: v for k, v in appeal.items() if k not in ("filed_by", "decided_by")}


def file_appeal(session: Session, principal: Principal, sanction_id: int, appeal: AppealIn,
                now: datetime) -> dict[str, Any]:
    """Open an appeal against an active sanction; one open appeal per sanction at a time (409 otherwise)."""
    require(principal, *APPEAL_FILERS)
    sanction = get_sanction(session, sanction_id, for_update=True)
    if sanction.status != "active":
        raise Conflict(f"sanction {sanction_id} is {sanction.status}: there is nothing to appeal")
    pending = session.scalar(select(AppealRow.id).where(AppealRow.sanction_id == sanction_id,
                                                        AppealRow.status == "open"))
    if pending is not None:
        raise Conflict(f"sanction {sanction_id} already has an open appeal ({pending})")
    row = AppealRow(sanction_id=sanction_id, statement=appeal.statement, filed_by=principal.name, filed_at=now,
                    status="open")
    session.add(row)
    session.flush()
    out = appeal_out(row)
    enqueue(session, "appeal.filed", {**_public(out), "room": sanction.stream_key, "stream": sanction.stream}, now)
    append_event(session, principal.name, "appeal.filed", out, now)
    return out


def decide_appeal(session: Session, principal: Principal, appeal_id: int, decision: AppealDecisionIn,
                  now: datetime) -> dict[str, Any]:
    """Uphold (the sanction is lifted and the room's tier recomputed) or reject an open appeal.

    The decider must not be the one who imposed the sanction nor anyone who decided its case.
    """
    require(principal, *APPEAL_DECIDERS)
    row = session.get(AppealRow, appeal_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no appeal {appeal_id}")
    if row.status != "open":
        raise Conflict(f"appeal {appeal_id} was already decided ({row.status})")
    sanction = get_sanction(session, row.sanction_id, for_update=True)
    deciders = set(session.scalars(select(DecisionRow.decided_by).where(DecisionRow.case_id == sanction.case_id)))
    if principal.name == sanction.imposed_by or principal.name in deciders or principal.name == row.filed_by:
        raise Forbidden(f"appeal {appeal_id} must be decided by someone who had no part in the sanction or the appeal")
    row.status, row.decided_by, row.decided_at, row.reason = decision.outcome, principal.name, now, decision.reason
    if decision.outcome == "upheld":
        sanction.status, sanction.lifted_at = "lifted", now
    session.flush()
    out = appeal_out(row)
    enqueue(session, "appeal.decided", {**_public(out), "room": sanction.stream_key, "stream": sanction.stream,
                                        "sanction_status": sanction.status}, now)
    append_event(session, principal.name, "appeal.decided", {**out, "sanction_status": sanction.status}, now)
    if decision.outcome == "upheld":
        refresh_tier(session, sanction.stream, principal.name, now)
    return out


def list_appeals(session: Session, *, status: str | None = None, limit: int = 100,
                 offset: int = 0) -> list[dict[str, Any]]:
    query = select(AppealRow).order_by(AppealRow.id).limit(limit).offset(offset)
    if status is not None:
        query = query.where(AppealRow.status == status)
    return [appeal_out(row) for row in session.scalars(query)]
