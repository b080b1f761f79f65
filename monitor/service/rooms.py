"""Rooms: risk tiers (分级管理) from confirmed violations, whether a room is live, and what both do to priority.

A case's priority is its risk's (``block`` 20, ``review`` 10) plus its room's tier bonus, plus a live
bonus while its room is live (kept in the stored priority and taken off by :func:`expire_live`, so
the queue is ordered by an indexed column). Its due time is set by risk and tier. A room's tier is
recomputed whenever a decision or an appeal changes what stands against it; the waiting cases of
the room take the new priority and, if sooner, the new due time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Executable, bindparam, func, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from monitor.service.audit import append_event
from monitor.service.db import aware
from monitor.store.governance_schema import RoomRow, SanctionRow
from monitor.store.queue_schema import CaseRow, DecisionRow

__all__ = [
    "LIVE_BONUS",
    "LIVE_WINDOW",
    "TIERS",
    "TIER_NAMES",
    "due_after",
    "mark_live",
    "case_priority",
    "expire_live",
    "is_live",
    "refresh_tier",
    "room_for",
    "rooms_for",
    "stream_key",
    "tier_of",
]

TIERS: tuple[str, ...] = ("low", "medium", "high", "severe")
TIER_NAMES: dict[str, str] = {"low": "低风险", "medium": "中风险", "high": "高风险", "severe": "严重风险"}
_RISK_PRIORITY: dict[str, int] = {"block": 20, "review": 10}
_TIER_BONUS: dict[str, int] = {"low": 0, "medium": 3, "high": 6, "severe": 9}
LIVE_BONUS = 5
"""Added to a case's rank while its room is live: a violation still on air is acted on first."""
LIVE_WINDOW = timedelta(minutes=10)
"""A finding from a live watch keeps its room live this long."""
_DUE: dict[str, dict[str, timedelta]] = {
    "block": {"low": timedelta(hours=1), "medium": timedelta(hours=1), "high": timedelta(minutes=30),
              "severe": timedelta(minutes=15)},
    "review": {"low": timedelta(hours=24), "medium": timedelta(hours=12), "high": timedelta(hours=4),
               "severe": timedelta(hours=2)},
}
LOOKBACK = timedelta(days=365)
"""Confirmed violations count toward a tier for a year."""
_SEVERE_SANCTIONS = ("关闭账号", "黑名单")
_HIGH_SANCTIONS = ("限流", "暂停直播")


def stream_key(stream: str) -> str:
    return hashlib.sha256(stream.encode("utf-8")).hexdigest()


def due_after(risk: str, tier: str) -> timedelta:
    return _DUE[risk][tier]


def tier_of(confirmed: int, active_sanctions: set[str]) -> str:
    """``severe`` under an account closure or blacklist; ``high`` from three confirmed violations or a
    traffic limit or suspension; ``medium`` from one; else ``low``."""
    if active_sanctions & set(_SEVERE_SANCTIONS):
        return "severe"
    if confirmed >= 3 or active_sanctions & set(_HIGH_SANCTIONS):
        return "high"
    return "medium" if confirmed else "low"


def case_priority(risk: str, tier: str, live: bool) -> int:
    """Risk's priority, plus the tier's bonus, plus :data:`LIVE_BONUS` while the room is live."""
    return _RISK_PRIORITY[risk] + _TIER_BONUS[tier] + (LIVE_BONUS if live else 0)


def expire_live(session: Session, now: datetime) -> None:
    """Take the live bonus off the cases whose room's live window has passed (cheap: ``live_until`` is indexed).

    A case's priority holds the live bonus exactly while its ``live_until`` is set, so the queue
    stays ordered by a stored, indexed column. Rows another transaction holds are left for the next sweep.
    """
    connection = session.connection()
    connection.execute(_EXPIRE_LIVE[connection.dialect.name == "postgresql"], {"now": now})


def _expire_statement(skip_locked: bool) -> Executable:
    lapsed = select(CaseRow.id).where(CaseRow.live_until.is_not(None),
                                      CaseRow.live_until <= bindparam("now", type_=CaseRow.live_until.type))
    if skip_locked:
        lapsed = lapsed.with_for_update(skip_locked=True)
    return (update(CaseRow).where(CaseRow.id.in_(lapsed.scalar_subquery()))
            .values(priority=CaseRow.priority - LIVE_BONUS, live_until=None))


_EXPIRE_LIVE = {skip_locked: _expire_statement(skip_locked) for skip_locked in (False, True)}
"""Built once (every claim runs one): with ``SKIP LOCKED`` on PostgreSQL."""


def rooms_for(session: Session, streams: Sequence[str], now: datetime) -> dict[str, RoomRow]:
    """The rooms of ``streams`` by stream key, locked; those seen for the first time are made (tier ``low``)."""
    by_key = {stream_key(stream): stream for stream in streams}
    rooms = {room.stream_key: room for room in session.scalars(
        select(RoomRow).where(RoomRow.stream_key.in_(sorted(by_key))).order_by(RoomRow.stream_key)
        .with_for_update().execution_options(populate_existing=True)
    )}
    made = [RoomRow(stream_key=key, stream=stream, tier="low", confirmed=0, live_until=None, updated_at=now)
            for key, stream in by_key.items() if key not in rooms]
    session.add_all(made)
    session.flush()
    return rooms | {room.stream_key: room for room in made}


def room_for(session: Session, stream: str, now: datetime) -> RoomRow:
    """The room of ``stream``, locked; made (tier ``low``) the first time it is seen."""
    return rooms_for(session, [stream], now)[stream_key(stream)]


def mark_live(session: Session, rooms: Sequence[RoomRow], now: datetime) -> None:
    """The rooms are on air: they and their waiting cases count as live for :data:`LIVE_WINDOW` (cases not yet
    ranked live get the live bonus). A room live for more than half a window more is left as it is, so a
    room stays live between half a window and a window after its last live finding."""
    until = now + LIVE_WINDOW
    renewed = sorted({room.stream_key: room for room in rooms
                      if room.live_until is None or aware(room.live_until) <= now + LIVE_WINDOW / 2}.items())
    if not renewed:
        return  # all still live for a while: renewed at most twice a window, not at every finding
    for _key, room in renewed:
        room.live_until, room.updated_at = until, now
    bonus = sql_case((CaseRow.live_until.is_(None), LIVE_BONUS), else_=0)
    session.execute(
        update(CaseRow).where(CaseRow.stream_key.in_([key for key, _room in renewed]), CaseRow.status != "decided")
        .values(priority=CaseRow.priority + bonus, live_until=until).execution_options(synchronize_session=False)
    )


def is_live(live_until: datetime | None, now: datetime) -> bool:
    return live_until is not None and aware(live_until) > now


def _confirmed_cases(session: Session, key: str, now: datetime) -> int:
    """Cases of the room whose current decision is a confirm made within :data:`LOOKBACK`, not lifted on appeal."""
    latest = (select(func.max(DecisionRow.id).label("id")).join(CaseRow, CaseRow.id == DecisionRow.case_id)
              .where(CaseRow.stream_key == key).group_by(DecisionRow.case_id).subquery())
    lifted = select(SanctionRow.case_id).where(SanctionRow.stream_key == key, SanctionRow.status == "lifted")
    return int(session.scalar(
        select(func.count()).select_from(DecisionRow).join(latest, latest.c.id == DecisionRow.id)
        .where(DecisionRow.action == "confirm", DecisionRow.decided_at >= now - LOOKBACK,
               DecisionRow.case_id.not_in(lifted))
    ) or 0)


def _active_sanctions(session: Session, key: str, now: datetime) -> set[str]:
    rows = session.execute(
        select(SanctionRow.kind, SanctionRow.ends_at).where(SanctionRow.stream_key == key,
                                                            SanctionRow.status == "active")
    ).all()
    return {kind for kind, ends in rows if ends is None or aware(ends) > now}


def refresh_tier(session: Session, stream: str, actor: str, now: datetime) -> str:
    """Recompute the room's tier; when it changes, re-rank its waiting cases and record the change."""
    room = room_for(session, stream, now)
    confirmed = _confirmed_cases(session, room.stream_key, now)
    tier = tier_of(confirmed, _active_sanctions(session, room.stream_key, now))
    previous = room.tier
    room.confirmed, room.tier, room.updated_at = confirmed, tier, now
    if tier != previous:
        waiting = session.scalars(
            select(CaseRow).where(CaseRow.stream_key == room.stream_key, CaseRow.status != "decided")
        ).all()
        for case in waiting:
            case.tier, case.priority = tier, case_priority(case.risk, tier, case.live_until is not None)
            case.due_at = min(aware(case.due_at), aware(case.created_at) + due_after(case.risk, tier))
        append_event(session, actor, "room.tier_changed",
                     {"room": room.stream_key, "from": previous, "to": tier, "confirmed": confirmed}, now)
    session.flush()
    return tier
