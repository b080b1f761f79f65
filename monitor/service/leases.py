"""Leases: claim the next waiting case in one statement, heartbeat, skip (release) and hold.

A claim is ``UPDATE cases SET lease… WHERE id = (SELECT id … ORDER BY priority … LIMIT 1
FOR UPDATE SKIP LOCKED) RETURNING …``: on PostgreSQL concurrent claimers skip each other's rows;
on SQLite the single statement runs under the database's one write lock. Every later step uses the
lease token as a fence (``WHERE id=… AND lease_token=… AND lease_owner=… AND lease_expires > now``):
no row changed means the lease is not the caller's or has lapsed (409).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Executable, and_, bindparam, not_, or_, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from monitor.service.audit import append_event
from monitor.service.auth import Principal, require
from monitor.service.db import aware
from monitor.service.errors import LeaseConflict, NotFound
from monitor.service.models import Claim, LeaseOut
from monitor.service.rooms import expire_live
from monitor.store.queue_schema import CaseRow

__all__ = ["CLAIMERS", "claim_next", "heartbeat", "hold", "lease_fence", "release", "refuse_lease"]

CLAIMERS: tuple[str, ...] = ("reviewer", "lead", "admin")
_LEADS = ("lead", "admin")


def _claimable(lead: bool, now: ColumnElement[datetime]) -> ColumnElement[bool]:
    """Reviewers take open cases; leads and admins also escalated and held ones. A lapsed lease counts as waiting."""
    lapsed = and_(CaseRow.status == "leased", CaseRow.lease_expires <= now)
    if lead:
        return or_(CaseRow.status.in_(("open", "escalated", "held")), lapsed)
    return or_(CaseRow.status == "open", and_(lapsed, not_(CaseRow.escalated)))


def _claim_statement(lead: bool) -> Executable:
    """``UPDATE … WHERE id = (SELECT … LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id``, built once per kind of
    claimer with bound values; a reviewer's pick walks ``ix_cases_claim`` in its order."""
    now = bindparam("now", type_=CaseRow.lease_expires.type)
    waiting = _claimable(lead, now)
    order: list[Any] = [CaseRow.priority.desc(), CaseRow.due_at, CaseRow.id]
    if lead:  # a lead's own queue first: escalated and held cases
        order.insert(0, sql_case((or_(CaseRow.escalated, CaseRow.status == "held"), 0), else_=1))
    pick = select(CaseRow.id).where(waiting).order_by(*order).limit(1).with_for_update(skip_locked=True)
    return (update(CaseRow).where(CaseRow.id == pick.scalar_subquery(), waiting)
            .values(status="leased", lease_token=bindparam("token"), lease_owner=bindparam("owner"),
                    lease_expires=bindparam("expires", type_=CaseRow.lease_expires.type), updated_at=now)
            .returning(CaseRow.id))


_CLAIMS = {lead: _claim_statement(lead) for lead in (False, True)}


def claim_next(session: Session, principal: Principal, now: datetime, lease: timedelta) -> Claim | None:
    """Lease the most urgent waiting case to the caller; ``None`` when nothing waits."""
    require(principal, *CLAIMERS)
    expire_live(session, now)
    token, expires = secrets.token_urlsafe(24), now + lease
    row = session.connection().execute(_CLAIMS[principal.role in _LEADS], {
        "now": now, "token": token, "owner": principal.name, "expires": expires}).first()
    if row is None:
        return None
    append_event(session, principal.name, "case.claimed",
                 {"case": row.id, "lease_expires": expires.isoformat()}, now)
    return Claim(id=row.id, lease_token=token, lease_expires=expires)


def lease_fence(principal: Principal, case_id: int, lease_token: str, now: datetime) -> ColumnElement[bool]:
    """The case is leased to this caller, under this token, and the lease has not lapsed."""
    return and_(CaseRow.id == case_id, CaseRow.status == "leased", CaseRow.lease_token == lease_token,
                CaseRow.lease_owner == principal.name, CaseRow.lease_expires > now)


def refuse_lease(session: Session, case_id: int) -> LeaseConflict | NotFound:
    """Why a fenced update changed nothing: no such case (404) or not the caller's live lease (409)."""
    if session.scalar(select(CaseRow.id).where(CaseRow.id == case_id)) is None:
        return NotFound(f"no case {case_id}")
    return LeaseConflict(f"case {case_id} is not leased to you under this lease token, or the lease has lapsed")


def _fenced(session: Session, principal: Principal, case_id: int, lease_token: str, now: datetime, /,
            **values: Any) -> None:
    changed = session.execute(
        update(CaseRow).where(lease_fence(principal, case_id, lease_token, now)).values(updated_at=now, **values)
        .returning(CaseRow.id).execution_options(synchronize_session=False)
    ).first()
    if changed is None:
        raise refuse_lease(session, case_id)


def heartbeat(session: Session, principal: Principal, case_id: int, lease_token: str, now: datetime,
              lease: timedelta) -> LeaseOut:
    """Extend the caller's live lease to ``now + lease``."""
    require(principal, *CLAIMERS)
    expires = now + lease
    _fenced(session, principal, case_id, lease_token, now, lease_expires=expires)
    append_event(session, principal.name, "case.heartbeat", {"case": case_id, "lease_expires": expires.isoformat()},
                 now)
    return LeaseOut(id=case_id, lease_expires=aware(expires))


_CLEARED: dict[str, Any] = {"lease_token": None, "lease_owner": None, "lease_expires": None}


def release(session: Session, principal: Principal, case_id: int, lease_token: str, now: datetime) -> None:
    """Skip: give the case back to the queue it waited in."""
    require(principal, *CLAIMERS)
    back = sql_case((CaseRow.escalated, "escalated"), else_="open")
    _fenced(session, principal, case_id, lease_token, now, status=back, **_CLEARED)
    append_event(session, principal.name, "case.skipped", {"case": case_id}, now)


def hold(session: Session, principal: Principal, case_id: int, lease_token: str, reason: str, now: datetime) -> None:
    """Park the case for a lead (out of the reviewers' queue), with the reason."""
    require(principal, *CLAIMERS)
    _fenced(session, principal, case_id, lease_token, now, status="held", **_CLEARED)
    append_event(session, principal.name, "case.held", {"case": case_id, "reason": reason}, now)
