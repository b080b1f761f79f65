"""Tables of the rooms the service hands to ``livemon watch --from`` workers: the rooms, their leases, the workers.

Changed only together with a migration in ``migrations/versions``. A room's address is hostile input
(typed by whoever runs the room): stored as a value, checked against the room-address policy when it is
added and again by the worker that opens it. Rows are never deleted: a removed room keeps its row
(``removed_at``) and its leases, so who watched what, and when, stays on record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from monitor.store.schema import Base

__all__ = ["RoomLeaseRow", "WatchRoomRow", "WatchWorkerRow"]

_TS = DateTime(timezone=True)


class WatchRoomRow(Base):
    """A room to watch, and the lease of the worker that watches it now.

    ``lease_epoch`` is the fencing number: it grows by one at every grant, so a worker that lost the room
    (its lease lapsed and another took it, or the room was removed) holds an epoch that is no longer the
    room's, and its heartbeats and findings are refused.
    """

    __tablename__ = "watch_rooms"
    __table_args__ = (Index("ix_watch_rooms_lease", "removed_at", "lease_expires"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    address: Mapped[str] = mapped_column(Text)
    stream_key: Mapped[str] = mapped_column(String(64), unique=True)
    """sha256 of the address: the key of the room's risk tier (``rooms``) and of its cases."""
    label: Mapped[str] = mapped_column(String(200))
    vertical: Mapped[str | None] = mapped_column(String(40))
    """What the room sells, as a ``prompts/asr`` vertical id (checked when added): its workers read its speech
    with that vertical's prompt. ``None``: none given (the worker's ``--vertical``, else ``default``)."""
    added_by: Mapped[str] = mapped_column(String(80))
    added_at: Mapped[datetime] = mapped_column(_TS)
    removed_by: Mapped[str | None] = mapped_column(String(80))
    removed_at: Mapped[datetime | None] = mapped_column(_TS)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    """The worker holding the room (its ``--worker`` name), or ``None``."""
    lease_token: Mapped[str | None] = mapped_column(String(64))
    lease_epoch: Mapped[int] = mapped_column(Integer)
    lease_expires: Mapped[datetime | None] = mapped_column(_TS)
    heartbeat_at: Mapped[datetime | None] = mapped_column(_TS)
    """The holder's last heartbeat for the room (or the grant)."""
    not_before: Mapped[datetime | None] = mapped_column(_TS)
    """A room whose stream ended or failed on its worker is offered again from this time."""
    state: Mapped[str] = mapped_column(String(16))
    """``waiting``, ``starting``, ``watching``, ``reconnecting`` (the holder's word), ``ended``, ``failed``,
    ``stopped`` (how its last lease ended), ``refused`` (its worker's address policy refused it: not offered
    again until it is added again) or ``removed``."""
    detail: Mapped[str | None] = mapped_column(Text)
    """The holder's last error or warning about the room (hostile text: a stream's server wrote part of it)."""
    findings: Mapped[int] = mapped_column(Integer)
    """Findings the holder reported for its current (or last) lease."""
    updated_at: Mapped[datetime] = mapped_column(_TS)


class RoomLeaseRow(Base):
    """One lease of a room (one epoch): which worker held it, until when, and how it ended.

    Findings name the lease they were found under; the service takes a finding only if it was found
    (by its ``wall_time``) before that lease ended.
    """

    __tablename__ = "watch_room_leases"
    __table_args__ = (UniqueConstraint("room_id", "epoch", name="uq_watch_room_leases_epoch"),
                      Index("ix_watch_room_leases_open", "room_id", "ended_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("watch_rooms.id"))
    epoch: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(128))
    granted_at: Mapped[datetime] = mapped_column(_TS)
    expires_at: Mapped[datetime] = mapped_column(_TS)
    """The lease's expiry as last renewed."""
    ended_at: Mapped[datetime | None] = mapped_column(_TS)
    end_reason: Mapped[str | None] = mapped_column(String(16))
    """``taken`` (another worker took the lapsed lease), ``removed``, or what the worker reported:
    ``ended``, ``failed``, ``refused``, ``stopped``."""


class WatchWorkerRow(Base):
    """A ``livemon watch --from`` worker as last heard from: its capacity and the rooms it runs."""

    __tablename__ = "watch_workers"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    capacity: Mapped[int] = mapped_column(Integer)
    running: Mapped[int] = mapped_column(Integer)
    """Rooms it said it runs (those it is still stopping included)."""
    caller: Mapped[str] = mapped_column(String(80))
    """Whose token it uses (``token:N`` or a user's name)."""
    first_seen: Mapped[datetime] = mapped_column(_TS)
    last_seen: Mapped[datetime] = mapped_column(_TS)
