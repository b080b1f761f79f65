"""Database helpers shared by the service modules: the clock, UTC times, and taking the write lock."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from sqlalchemy import text, update
from sqlalchemy.orm import Session

from monitor.store.queue_schema import AuditHeadRow

__all__ = ["Clock", "aware", "lock_for_write", "system_clock"]

_ADVISORY_LOCKS = text("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(CAST(:keys AS BIGINT[])) AS t(k)")

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware; injected so tests move time without sleeping."""


def system_clock() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """``value`` in UTC (SQLite hands back naive datetimes: they were stored in UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def lock_for_write(session: Session, keys: Iterable[str]) -> None:
    """Serialise this transaction with any other that locks one of ``keys``, until it ends.

    PostgreSQL: transaction-scoped advisory locks, taken in sorted order (one statement, the
    array's order) so two callers never wait on each other in a cycle. SQLite has one writer at a
    time: a no-op write to the audit head takes the database's write lock now, so the reads that
    follow see what is committed and no other writer can slip in before this transaction commits.
    """
    if session.get_bind().dialect.name == "postgresql":
        numbers = sorted({int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
                          for key in keys})
        session.execute(_ADVISORY_LOCKS, {"keys": numbers})
    else:
        session.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=AuditHeadRow.seq))
