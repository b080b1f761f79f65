"""Tables of the moderation queue (``livemon serve``): people, tokens, cases, decisions, the audit chain.

Changed only together with a migration in ``migrations/versions``. Finding text, stream names and
reasons are hostile data: stored as values, never built into SQL.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from monitor.store.schema import Base, utcnow

__all__ = [
    "ApiTokenRow",
    "AuditEventRow",
    "AuditHeadRow",
    "CaseFindingRow",
    "CaseRow",
    "DecisionRow",
    "IngestedFindingRow",
    "LoginFailureRow",
    "UserRow",
]

_TS = DateTime(timezone=True)


class UserRow(Base):
    """A person who reviews: ``reviewer``, ``lead`` or ``admin``; the password only as an Argon2 hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)


class LoginFailureRow(Base):
    """A failed (or not yet decided) console login, counted by every server process against the limit.

    ``subject`` is the sha256 of ``user:NAME`` or ``addr:ADDRESS``, so what people typed as a name
    (sometimes a password) is not kept; rows older than the limit's window are deleted.
    """

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_subject", "subject", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(_TS, index=True)


class ApiTokenRow(Base):
    """A bearer token, kept only as the sha256 of the token; ``revoked_at`` set ends it."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(_TS)


class IngestedFindingRow(Base):
    """A finding posted to the service, once per finding id (a repost is a no-op); ``body`` is its JSON."""

    __tablename__ = "ingested_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    finding_id: Mapped[str] = mapped_column(String(64), unique=True)
    stream: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    risk: Mapped[str] = mapped_column(String(8))
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)


class CaseRow(Base):
    """Findings of one room and category close in time, reviewed together.

    ``status``: ``open`` (waiting), ``leased`` (a reviewer holds it until ``lease_expires``),
    ``held`` (parked for a lead), ``escalated`` (waiting for a lead) or ``decided``. A lapsed
    lease puts the case back where it waited (``escalated`` when that flag is set, else ``open``).
    """

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_queue", "status", "priority", "due_at"),
        Index("ix_cases_grouping", "stream_key", "category", "status"),
        Index("ix_cases_tier", "tier", "status"),
        Index("ix_cases_live", "live_until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stream: Mapped[str] = mapped_column(Text)
    stream_key: Mapped[str] = mapped_column(String(64))
    """sha256 of ``stream`` (streams are long hostile strings; this one is indexed)."""
    category: Mapped[str] = mapped_column(String(32))
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    risk: Mapped[str] = mapped_column(String(8))
    priority: Mapped[int] = mapped_column(Integer)
    """Higher is reviewed sooner."""
    due_at: Mapped[datetime] = mapped_column(_TS)
    status: Mapped[str] = mapped_column(String(16))
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    tier: Mapped[str] = mapped_column(String(16), default="low")
    """The room's risk tier, kept current while the case waits (``rooms.tier``)."""
    live_until: Mapped[datetime | None] = mapped_column(_TS)
    """The room counts as live until then; while set, ``priority`` holds the live bonus."""
    lease_token: Mapped[str | None] = mapped_column(String(64))
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_expires: Mapped[datetime | None] = mapped_column(_TS)
    created_at: Mapped[datetime] = mapped_column(_TS)
    updated_at: Mapped[datetime] = mapped_column(_TS)


_WAITING = CaseRow.status != "decided"
Index("ix_cases_claim", CaseRow.priority.desc(), CaseRow.due_at, CaseRow.id, postgresql_where=_WAITING,
      sqlite_where=_WAITING)
"""The claim order over the cases not decided: a claim walks it from the top and takes the first it may."""


class CaseFindingRow(Base):
    """Which case a finding belongs to (each finding to one case)."""

    __tablename__ = "case_findings"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    finding_row_id: Mapped[int] = mapped_column(ForeignKey("ingested_findings.id"), primary_key=True, unique=True)


class DecisionRow(Base):
    """A decision on a case: append-only; a later one on the same case supersedes the earlier."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    """``confirm``, ``dismiss`` or ``escalate``."""
    reason: Mapped[str] = mapped_column(Text)
    policies: Mapped[str] = mapped_column(Text)
    """JSON array of the policies the decision rests on."""
    sanction: Mapped[str | None] = mapped_column(String(16))
    """For a confirm: 警示, 限流, 暂停直播, 关闭账号 or 黑名单."""
    decided_by: Mapped[str] = mapped_column(String(80))
    decided_at: Mapped[datetime] = mapped_column(_TS)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))


class AuditEventRow(Base):
    """One link of the audit chain: ``hash = sha256(prev_hash + canonical JSON of seq, actor, action, payload, at)``."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    """Canonical JSON of the event's details."""
    at: Mapped[datetime] = mapped_column(_TS)


class AuditHeadRow(Base):
    """The chain's newest link (one row): appends lock it, and verify finds a cut-off tail through it."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    """The hash the newest append replaced (the newest event's ``prev_hash``): an append reads it back in
    the statement that inserts the event."""
