"""Leases of rooms to ``livemon watch --from`` workers: one heartbeat renews, gives back and grants, fenced by epoch.

A worker sends a heartbeat every third of the lease: the rooms it holds (renewed if the lease is still
its own: same room, epoch, token and worker, room not removed), the rooms whose watching ended (given
back), and how many it can take (``capacity``). The service answers with what was renewed, what the
worker must stop (``removed`` or ``lost``) and the rooms newly granted, all in one transaction.

A grant is one statement: ``WITH picked AS MATERIALIZED (SELECT id … LIMIT n FOR UPDATE SKIP LOCKED)
UPDATE watch_rooms SET lease… , lease_epoch = lease_epoch + 1 FROM picked WHERE id = picked.id AND
(still offered) RETURNING …``: on PostgreSQL concurrent workers skip each other's rows; on SQLite it
runs under the database's one write lock. A room is offered when no
lease on it is live: a worker that died loses its rooms once their leases lapse. A lapsed lease that no
one took yet is still renewed by its holder's next heartbeat (its epoch is still the room's).

The epoch fences findings too: a finding names the lease it was found under (``provenance.lease``:
room, epoch, worker) and is taken only if that lease had not ended when the finding was made (its
``wall_time``), see :func:`fence_findings`. Renewals are not audit events (a heartbeat every few
seconds per room would swamp the chain); grants, give-backs, take-overs and removals are.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from monitor.service.audit import append_event
from monitor.service.auth import Principal, require
from monitor.service.db import aware
from monitor.service.room_models import BeatOut, DroppedRoom, GrantedRoom, RenewedRoom, WorkerBeat
from monitor.service.rooms import stream_key
from monitor.store.rooms_schema import RoomLeaseRow, WatchRoomRow, WatchWorkerRow

__all__ = ["WORKERS", "RoomLeaseOptions", "fence_findings", "worker_heartbeat"]

WORKERS: tuple[str, ...] = ("ingest", "admin")
"""Who may lease rooms: the token a worker posts its findings with."""
_ROOMS = cast(Table, WatchRoomRow.__table__)


@dataclass(frozen=True, slots=True)
class RoomLeaseOptions:
    lease: timedelta = timedelta(seconds=30)
    """How long a room stays a worker's without a heartbeat; a dead worker's rooms are offered after this."""
    retry: timedelta = timedelta(seconds=60)
    """A room whose stream ended or failed on its worker is offered again after this."""


def worker_heartbeat(session: Session, principal: Principal, beat: WorkerBeat, now: datetime,
                     options: RoomLeaseOptions) -> BeatOut:
    """Renew, give back and grant the worker's rooms (see the module's text); at most one audit event per kind."""
    require(principal, *WORKERS)
    _remember_worker(session, principal, beat, now)
    expires = now + options.lease
    released = _give_back(session, beat, now, options)
    renewed, dropped = _renew(session, beat, now, expires)
    free = beat.capacity - max(_live_leases(session, beat.worker, now), beat.running)
    granted = _grant(session, beat.worker, free, now, expires) if beat.claim and free > 0 else []
    if released:
        append_event(session, principal.name, "room.released", {"worker": beat.worker, "rooms": released}, now)
    if granted:
        append_event(session, principal.name, "room.leased", {"worker": beat.worker, "rooms": [
            {"room": g.room, "epoch": g.epoch, "from": taken} for g, taken in granted]}, now)
    return BeatOut(lease_seconds=options.lease.total_seconds(), heartbeat_seconds=options.lease.total_seconds() / 3,
                   renewed=[RenewedRoom(room=room, epoch=epoch, lease_expires=expires) for room, epoch in renewed],
                   dropped=dropped, granted=[g for g, _ in granted])


def _remember_worker(session: Session, principal: Principal, beat: WorkerBeat, now: datetime) -> None:
    values = {"capacity": beat.capacity, "running": beat.running, "caller": principal.name, "last_seen": now}
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(WatchWorkerRow).values(name=beat.worker, first_seen=now, **values)
    session.execute(statement.on_conflict_do_update(index_elements=[WatchWorkerRow.name], set_=values))


def _owned(room: int, epoch: int, token: str, worker: str) -> Any:
    return and_(WatchRoomRow.id == room, WatchRoomRow.lease_epoch == epoch, WatchRoomRow.lease_token == token,
                WatchRoomRow.lease_owner == worker, WatchRoomRow.removed_at.is_(None))


def _give_back(session: Session, beat: WorkerBeat, now: datetime, options: RoomLeaseOptions) -> list[dict[str, Any]]:
    """End the leases of the rooms the worker finished; those that were still its own, for the audit event."""
    released = []
    for done in beat.finished:
        pause = now + options.retry if done.outcome in ("ended", "failed") else None
        changed = session.execute(
            update(WatchRoomRow).where(_owned(done.room, done.epoch, done.lease_token, beat.worker))
            .values(lease_owner=None, lease_token=None, lease_expires=None, heartbeat_at=now, state=done.outcome,
                    detail=done.detail, findings=done.findings, not_before=pause, updated_at=now)
            .returning(WatchRoomRow.id).execution_options(synchronize_session=False)
        ).first()
        if changed is None:
            continue  # no longer the worker's: taken, or removed, meanwhile
        session.execute(update(RoomLeaseRow).where(RoomLeaseRow.room_id == done.room, RoomLeaseRow.epoch == done.epoch)
                        .values(ended_at=now, end_reason=done.outcome))
        released.append({"room": done.room, "epoch": done.epoch, "outcome": done.outcome})
    return released


_RENEW = (
    update(_ROOMS)
    .where(_ROOMS.c.id == bindparam("b_room"), _ROOMS.c.lease_epoch == bindparam("b_epoch"),
           _ROOMS.c.lease_token == bindparam("b_token"), _ROOMS.c.lease_owner == bindparam("b_worker"),
           _ROOMS.c.removed_at.is_(None))
    .values(lease_expires=bindparam("b_expires"), heartbeat_at=bindparam("b_now"), state=bindparam("b_state"),
            detail=bindparam("b_detail"), findings=bindparam("b_findings"), updated_at=bindparam("b_now"))
)


def _renew(session: Session, beat: WorkerBeat, now: datetime,
           expires: datetime) -> tuple[list[tuple[int, int]], list[DroppedRoom]]:
    """Renew the worker's rooms still its own (one executemany); the others are dropped, saying why."""
    if not beat.held:
        return [], []
    session.connection().execute(_RENEW, [
        {"b_room": h.room, "b_epoch": h.epoch, "b_token": h.lease_token, "b_worker": beat.worker,
         "b_expires": expires, "b_now": now, "b_state": h.state, "b_detail": h.detail, "b_findings": h.findings}
        for h in beat.held])
    rows = {row.id: row for row in session.execute(
        select(WatchRoomRow.id, WatchRoomRow.lease_epoch, WatchRoomRow.lease_token, WatchRoomRow.lease_owner,
               WatchRoomRow.lease_expires, WatchRoomRow.removed_at)
        .where(WatchRoomRow.id.in_([h.room for h in beat.held])))}
    renewed: list[tuple[int, int]] = []
    dropped: list[DroppedRoom] = []
    for h in beat.held:
        row = rows.get(h.room)
        if row is not None and row.removed_at is None and (row.lease_epoch, row.lease_token, row.lease_owner) == (
                h.epoch, h.lease_token, beat.worker):
            renewed.append((h.room, h.epoch))
        elif row is not None and row.removed_at is not None:
            dropped.append(DroppedRoom(room=h.room, epoch=h.epoch, reason="removed"))
        else:
            live = row is not None and row.lease_expires is not None and aware(row.lease_expires) > now
            dropped.append(DroppedRoom(room=h.room, epoch=h.epoch, reason="lost",
                                       holder=row.lease_owner if row is not None and live else None))
    if renewed:
        session.execute(update(RoomLeaseRow).where(tuple_(RoomLeaseRow.room_id, RoomLeaseRow.epoch).in_(renewed))
                        .values(expires_at=expires))
    return renewed, dropped


def _claimable(now: Any) -> Any:
    """Not removed, not refused, no live lease, and past any pause after its stream ended or failed."""
    return and_(WatchRoomRow.removed_at.is_(None), WatchRoomRow.state != "refused",
                or_(WatchRoomRow.lease_owner.is_(None), WatchRoomRow.lease_expires <= now),
                or_(WatchRoomRow.not_before.is_(None), WatchRoomRow.not_before <= now))


def _grant(session: Session, worker: str, free: int, now: datetime,
           expires: datetime) -> list[tuple[GrantedRoom, str | None]]:
    """Lease up to ``free`` offered rooms to ``worker`` in one statement; each with the worker it was taken from."""
    at = bindparam("now", type_=WatchRoomRow.lease_expires.type)
    # a CTE, materialized: evaluated once (a subquery in ``IN (…)`` may be rescanned and, re-checking rows
    # this very statement just leased, pick more than ``free``)
    picked = (select(WatchRoomRow.id).where(_claimable(at)).order_by(WatchRoomRow.id).limit(free)
              .with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED"))
    token = secrets.token_urlsafe(24)
    rows = session.execute(
        update(WatchRoomRow).where(WatchRoomRow.id == picked.c.id, _claimable(at))
        .values(lease_owner=worker, lease_token=token, lease_epoch=WatchRoomRow.lease_epoch + 1,
                lease_expires=expires, heartbeat_at=now, state="starting", detail=None, findings=0, not_before=None,
                updated_at=now)
        .returning(WatchRoomRow.id, WatchRoomRow.address, WatchRoomRow.label, WatchRoomRow.vertical,
                   WatchRoomRow.lease_epoch)
        .execution_options(synchronize_session=False),
        {"now": now},
    ).all()
    if not rows:
        return []
    ids = [row.id for row in rows]
    previous = {room: worker for room, worker in session.execute(
        select(RoomLeaseRow.room_id, RoomLeaseRow.worker)
        .where(RoomLeaseRow.room_id.in_(ids), RoomLeaseRow.ended_at.is_(None)))}
    session.execute(update(RoomLeaseRow).where(RoomLeaseRow.room_id.in_(ids), RoomLeaseRow.ended_at.is_(None))
                    .values(ended_at=now, end_reason="taken"))
    session.add_all(RoomLeaseRow(room_id=row.id, epoch=row.lease_epoch, worker=worker, granted_at=now,
                                 expires_at=expires) for row in rows)
    session.flush()
    return [(GrantedRoom(room=row.id, address=row.address, label=row.label, vertical=row.vertical,
                         epoch=row.lease_epoch,
                         lease_token=token, lease_expires=expires), previous.get(row.id)) for row in rows]


def fence_findings(session: Session, findings: Sequence[Any]) -> tuple[list[Any], list[str]]:
    """The findings the service takes, and the ids of those it refuses as not found under a live lease.

    A finding without ``provenance.lease`` (``scan``, ``rescan``, ``watch`` of its own rooms) is taken.
    One with a lease is taken only if that lease (room, epoch) was the named worker's, the finding's
    stream is the room's address, and the lease had not ended (taken over, removed, given back) by the
    finding's ``wall_time``; without a ``wall_time``, only while the lease has not ended. ``wall_time`` is
    the worker's clock and the end the service's: workers keep their clocks in sync (NTP).
    """
    leased = [f for f in findings if isinstance(f.provenance.get("lease"), dict)]
    if not leased:
        return list(findings), []
    pairs = sorted({(f.provenance["lease"]["room"], f.provenance["lease"]["epoch"]) for f in leased})
    leases = {(row.room_id, row.epoch): row for row in session.execute(
        select(RoomLeaseRow.room_id, RoomLeaseRow.epoch, RoomLeaseRow.worker, RoomLeaseRow.ended_at,
               WatchRoomRow.stream_key)
        .join(WatchRoomRow, WatchRoomRow.id == RoomLeaseRow.room_id)
        .where(tuple_(RoomLeaseRow.room_id, RoomLeaseRow.epoch).in_(pairs)))}
    kept, fenced = [], []
    for finding in findings:
        lease = finding.provenance.get("lease")
        if not isinstance(lease, dict):
            kept.append(finding)
            continue
        row = leases.get((lease["room"], lease["epoch"]))
        found_at = _wall_time(finding)
        ok = (row is not None and row.worker == lease["worker"] and row.stream_key == stream_key(finding.stream)
              and (row.ended_at is None or (found_at is not None and found_at < aware(row.ended_at))))
        if ok:
            kept.append(finding)
        else:
            fenced.append(finding.id)
    return kept, fenced


def _wall_time(finding: Any) -> datetime | None:
    value = (finding.model_extra or {}).get("wall_time")
    try:
        return aware(datetime.fromisoformat(value)) if isinstance(value, str) else None
    except ValueError:
        return None


def _live_leases(session: Session, worker: str, now: datetime) -> int:
    """Rooms whose lease is live for ``worker`` now (those it did not report included)."""
    return int(session.scalar(select(func.count()).select_from(WatchRoomRow).where(
        WatchRoomRow.lease_owner == worker, WatchRoomRow.removed_at.is_(None), WatchRoomRow.lease_expires > now))
        or 0)
