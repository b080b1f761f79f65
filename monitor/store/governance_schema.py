"""Tables of what the 直播电商监督管理办法 asks a platform to keep: rooms and their risk tiers, sanctions
(blacklists with facts, basis, period and appeal route), appeals, legal holds and the retention period.

Changed only together with a migration in ``migrations/versions``. Rows of these tables, like the
queue's, are never deleted inside the retention period: database triggers refuse it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from monitor.store.schema import Base

__all__ = ["AppealRow", "AuditCheckpointRow", "LegalHoldRow", "RetentionRow", "RoomRow", "SanctionRow"]

_TS = DateTime(timezone=True)


class RoomRow(Base):
    """A live room (a stream) as the queue knows it: its risk tier and until when it counts as live."""

    __tablename__ = "rooms"

    stream_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    stream: Mapped[str] = mapped_column(Text)
    tier: Mapped[str] = mapped_column(String(16))
    """``low``, ``medium``, ``high`` or ``severe`` (分级管理), from the room's confirmed violations."""
    confirmed: Mapped[int] = mapped_column(Integer, default=0)
    """Cases of the room whose current decision is a confirm, in the tier's look-back window."""
    live_until: Mapped[datetime | None] = mapped_column(_TS)
    """A finding from a live watch keeps the room live until this time."""
    updated_at: Mapped[datetime] = mapped_column(_TS)


class SanctionRow(Base):
    """A sanction a confirm decision imposed on a room; lifted only by an upheld appeal (never deleted)."""

    __tablename__ = "sanctions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), unique=True)
    stream_key: Mapped[str] = mapped_column(String(64), index=True)
    stream: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    """警示, 限流, 暂停直播, 关闭账号 or 黑名单."""
    facts: Mapped[str] = mapped_column(Text)
    basis: Mapped[str] = mapped_column(Text)
    """JSON array of the legal provisions and platform rules it rests on."""
    starts_at: Mapped[datetime] = mapped_column(_TS)
    ends_at: Mapped[datetime | None] = mapped_column(_TS)
    """``None``: until lifted."""
    appeal_route: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    """``active`` or ``lifted`` (by an appeal); an ``active`` one past ``ends_at`` has run its course."""
    imposed_by: Mapped[str] = mapped_column(String(80))
    lifted_at: Mapped[datetime | None] = mapped_column(_TS)


class AppealRow(Base):
    """An appeal against a sanction, decided by someone other than the sanction's decider."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sanction_id: Mapped[int] = mapped_column(ForeignKey("sanctions.id"), index=True)
    statement: Mapped[str] = mapped_column(Text)
    filed_by: Mapped[str] = mapped_column(String(80))
    filed_at: Mapped[datetime] = mapped_column(_TS)
    status: Mapped[str] = mapped_column(String(16))
    """``open``, ``upheld`` (the appeal succeeds: the sanction is lifted) or ``rejected``."""
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column(_TS)
    reason: Mapped[str | None] = mapped_column(Text)


class LegalHoldRow(Base):
    """A legal hold on a room: nothing of it may be deleted, whatever its age, until the hold is lifted."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stream_key: Mapped[str] = mapped_column(String(64), index=True)
    stream: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(80))
    placed_at: Mapped[datetime] = mapped_column(_TS)
    lifted_by: Mapped[str | None] = mapped_column(String(80))
    lifted_at: Mapped[datetime | None] = mapped_column(_TS)


class RetentionRow(Base):
    """The retention period (one row): records younger than this cannot be deleted."""

    __tablename__ = "retention_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    years: Mapped[int] = mapped_column(Integer)


class AuditCheckpointRow(Base):
    """A signed statement of the audit chain's head at a moment: ``seq`` ended in ``hash``.

    Signed with Ed25519 by a key kept outside the database; a copy of each line also goes to a file
    the operator keeps elsewhere, so rewriting the chain's tail and head together is found.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(_TS)
    key_id: Mapped[str] = mapped_column(String(16))
    """The first 16 hex digits of the sha256 of the raw public key."""
    signature: Mapped[str] = mapped_column(Text)
    """Base64 Ed25519 signature of the canonical JSON of ``{seq, hash, at}``."""
