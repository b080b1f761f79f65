"""Legal holds on rooms and the retention period: what the database refuses to delete."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.service.audit import append_event
from monitor.service.auth import Principal, require
from monitor.service.db import aware
from monitor.service.errors import Conflict, Invalid, NotFound
from monitor.service.rooms import stream_key
from monitor.store.governance_schema import LegalHoldRow, RetentionRow

__all__ = ["HOLDERS", "MIN_RETENTION_YEARS", "hold_out", "lift_hold", "list_holds", "place_hold", "retention_years",
           "set_retention"]

HOLDERS: tuple[str, ...] = ("lead", "admin")
MIN_RETENTION_YEARS = 3
"""直播电商监督管理办法: records kept at least three years; the period can be longer, never shorter."""


def hold_out(row: LegalHoldRow) -> dict[str, Any]:
    return {
        "id": row.id, "room": row.stream_key, "stream": row.stream, "reason": row.reason,
        "placed_by": row.placed_by, "placed_at": aware(row.placed_at).isoformat(), "lifted_by": row.lifted_by,
        "lifted_at": aware(row.lifted_at).isoformat() if row.lifted_at else None,
    }


def place_hold(session: Session, principal: Principal, stream: str, reason: str, now: datetime) -> dict[str, Any]:
    """Hold everything of the room ``stream``: nothing of it can be deleted until the hold is lifted."""
    require(principal, *HOLDERS)
    row = LegalHoldRow(stream_key=stream_key(stream), stream=stream, reason=reason, placed_by=principal.name,
                       placed_at=now)
    session.add(row)
    session.flush()
    out = hold_out(row)
    append_event(session, principal.name, "hold.placed", out, now)
    return out


def lift_hold(session: Session, principal: Principal, hold_id: int, reason: str, now: datetime) -> dict[str, Any]:
    require(principal, *HOLDERS)
    row = session.get(LegalHoldRow, hold_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no legal hold {hold_id}")
    if row.lifted_at is not None:
        raise Conflict(f"legal hold {hold_id} was already lifted")
    row.lifted_by, row.lifted_at = principal.name, now
    session.flush()
    out = hold_out(row)
    append_event(session, principal.name, "hold.lifted", {**out, "reason": reason}, now)
    return out


def list_holds(session: Session, *, active: bool | None = None, room: str | None = None) -> list[dict[str, Any]]:
    query = select(LegalHoldRow).order_by(LegalHoldRow.id)
    if active is not None:
        query = query.where(LegalHoldRow.lifted_at.is_(None) if active else LegalHoldRow.lifted_at.is_not(None))
    if room is not None:
        query = query.where(LegalHoldRow.stream_key == room)
    return [hold_out(row) for row in session.scalars(query)]


def retention_years(session: Session) -> int:
    row = session.get(RetentionRow, 1)
    if row is None:
        raise NotFound("the store has no retention policy: it was not migrated")
    return row.years


def set_retention(session: Session, years: int, actor: str, now: datetime) -> None:
    """Change the retention period; never below :data:`MIN_RETENTION_YEARS`."""
    if years < MIN_RETENTION_YEARS:
        raise Invalid(f"records are kept at least {MIN_RETENTION_YEARS} years; got {years}")
    row = session.get(RetentionRow, 1, with_for_update=True)
    if row is None:
        raise NotFound("the store has no retention policy: it was not migrated")
    previous, row.years = row.years, years
    append_event(session, actor, "retention.changed", {"from": previous, "to": years}, now)
