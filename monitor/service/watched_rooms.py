"""The rooms ``livemon watch --from`` workers watch: added and removed by leads and admins, listed for everyone.

A room's address is untrusted input. It is checked when it is added against the operator's room-address
policy (:class:`monitor.sources.policy.SourcePolicy`: allowed protocols and hosts; ``file:``, ``concat:``
and FFmpeg's other local protocols never), and again by the worker that opens it (with its redirects and
playlist). The service itself never fetches a room's address: it would otherwise be a way to make the
service's host request any URL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from monitor.errors import ConfigError, ForbiddenSource
from monitor.observations.asr_prompt import load_asr_prompts
from monitor.service.audit import append_event
from monitor.service.auth import Principal, require
from monitor.service.db import aware, lock_for_write
from monitor.service.errors import Conflict, Invalid, NotFound
from monitor.service.rooms import stream_key
from monitor.sources.policy import SourcePolicy
from monitor.store.rooms_schema import RoomLeaseRow, WatchRoomRow, WatchWorkerRow

__all__ = ["ROOM_EDITORS", "add_room", "check_room_address", "list_rooms", "list_workers", "remove_room"]

ROOM_EDITORS: tuple[str, ...] = ("lead", "admin")
"""Who may add and remove rooms (reviewers, leads and admins may list them)."""


def check_room_address(address: str, policy: SourcePolicy) -> str:
    """The address, stripped, if the policy allows it; :class:`Invalid` (422) saying why not."""
    address = address.strip()
    if not address or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in address):
        raise Invalid("地址不能为空，也不能含空白或控制字符 the address is empty or holds spaces or control characters")
    try:
        policy.check(address)
    except ForbiddenSource as e:
        raise Invalid(str(e.args[0])) from e
    return address


def _clean_label(label: str) -> str:
    return "".join(ch for ch in label.strip() if ch.isprintable())[:200]


class UnknownVertical(Invalid):
    """A room's vertical that is not one of ``prompts/asr`` (422)."""


def check_vertical(vertical: str) -> str | None:
    """The ``prompts/asr`` vertical id of ``vertical`` (an id, Chinese name or alias); ``None`` for ``""``;
    422 naming the known verticals for anything else."""
    if not vertical.strip():
        return None
    try:
        return load_asr_prompts().lookup(vertical)
    except ConfigError as e:
        raise UnknownVertical(str(e)) from e


def add_room(session: Session, principal: Principal, address: str, label: str, policy: SourcePolicy,
             now: datetime, *, vertical: str = "") -> dict[str, Any]:
    """Add a room for the workers to watch (one audit event). A removed room, or one a worker's policy refused,
    is added again under its old id (its lease epochs go on); a room already waiting or watched is 409.
    ``vertical`` (what the room sells) chooses the ASR prompt its workers read it with."""
    require(principal, *ROOM_EDITORS)
    address = check_room_address(address, policy)
    chosen = check_vertical(vertical)
    key = stream_key(address)
    lock_for_write(session, [f"watch-room:{key}"])
    row = session.scalars(select(WatchRoomRow).where(WatchRoomRow.stream_key == key).with_for_update()).first()
    if row is not None and row.removed_at is None and row.state != "refused":
        raise Conflict(f"room {row.id} already has this address")
    if row is None:
        row = WatchRoomRow(address=address, stream_key=key, lease_epoch=0, findings=0)
        session.add(row)
    row.label, row.added_by, row.added_at, row.updated_at = _clean_label(label), principal.name, now, now
    row.vertical = chosen
    row.removed_by = row.removed_at = row.not_before = row.detail = None
    row.lease_owner = row.lease_token = row.lease_expires = row.heartbeat_at = None
    row.state, row.findings = "waiting", 0
    session.flush()
    append_event(session, principal.name, "room.added",
                 {"room": row.id, "address": address, "label": row.label, "vertical": row.vertical}, now)
    return room_view(row, now)


def remove_room(session: Session, principal: Principal, room_id: int, now: datetime) -> dict[str, Any]:
    """Remove a room: it is offered to no worker, its holder is told to stop at its next heartbeat, and findings
    found after now under its lease are refused. One audit event; 404 for no such room, 409 when removed."""
    require(principal, *ROOM_EDITORS)
    lock_for_write(session, [f"watch-room-id:{room_id}"])  # SQLite: the write lock before the read
    row = session.scalars(select(WatchRoomRow).where(WatchRoomRow.id == room_id).with_for_update()).first()
    if row is None:
        raise NotFound(f"no room {room_id}")
    if row.removed_at is not None:
        raise Conflict(f"room {room_id} is already removed")
    holder = row.lease_owner if row.lease_expires is not None and aware(row.lease_expires) > now else None
    row.removed_at, row.removed_by, row.state, row.updated_at = now, principal.name, "removed", now
    session.execute(update(RoomLeaseRow).where(RoomLeaseRow.room_id == room_id, RoomLeaseRow.ended_at.is_(None))
                    .values(ended_at=now, end_reason="removed"))
    session.flush()
    append_event(session, principal.name, "room.removed", {"room": room_id, "address": row.address,
                                                           "holder": holder}, now)
    return room_view(row, now)


def room_view(row: WatchRoomRow, now: datetime) -> dict[str, Any]:
    """A room as the API and the console show it; ``held`` says whether its lease is live now."""
    expires = aware(row.lease_expires) if row.lease_expires is not None else None
    held = row.removed_at is None and row.lease_owner is not None and expires is not None and expires > now

    def iso(value: datetime | None) -> str | None:
        return aware(value).isoformat() if value is not None else None

    return {"id": row.id, "address": row.address, "label": row.label, "vertical": row.vertical,
            "room": row.stream_key, "state": row.state,
            "detail": row.detail, "worker": row.lease_owner, "held": held, "epoch": row.lease_epoch,
            "lease_expires": iso(row.lease_expires), "heartbeat_at": iso(row.heartbeat_at),
            "findings": row.findings, "not_before": iso(row.not_before), "added_by": row.added_by,
            "added_at": iso(row.added_at), "removed_by": row.removed_by, "removed_at": iso(row.removed_at)}


def list_rooms(session: Session, now: datetime, *, removed: bool = False, limit: int = 500,
               offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Rooms (the removed ones instead, with ``removed``), oldest first, and how many there are."""
    where = WatchRoomRow.removed_at.is_not(None) if removed else WatchRoomRow.removed_at.is_(None)
    rows = session.scalars(select(WatchRoomRow).where(where).order_by(WatchRoomRow.id).limit(limit).offset(offset))
    total = int(session.scalar(select(func.count()).select_from(WatchRoomRow).where(where)) or 0)
    return [room_view(row, now) for row in rows], total


def list_workers(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Every worker heard from, newest first, with the rooms it holds now (live leases)."""
    held = {worker: n for worker, n in session.execute(
        select(WatchRoomRow.lease_owner, func.count()).where(WatchRoomRow.removed_at.is_(None),
                                                             WatchRoomRow.lease_expires > now)
        .group_by(WatchRoomRow.lease_owner))}
    rows = session.scalars(select(WatchWorkerRow).order_by(WatchWorkerRow.last_seen.desc(), WatchWorkerRow.name))
    return [{"worker": w.name, "capacity": w.capacity, "running": w.running, "held": int(held.get(w.name, 0)),
             "caller": w.caller, "first_seen": aware(w.first_seen).isoformat(),
             "last_seen": aware(w.last_seen).isoformat()} for w in rows]
