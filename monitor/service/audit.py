"""The audit chain: every state change appends one event hashed onto the one before; ``verify`` rechecks it.

``hash = sha256(prev_hash + canonical JSON of {seq, actor, action, payload, at})``, the first
``prev_hash`` being 64 zeros. The one-row ``audit_head`` holds the newest ``seq`` and ``hash``:
an append locks it (so appends are serial and gap-free) and verify compares the chain's end with it,
so a deleted last event is found too.

The head's lock is held from the append to the commit, so every writer waits for it: an append is
kept to one statement on PostgreSQL. That statement advances the head and inserts the event
together, the database computing the sha256 over the same bytes as :func:`event_hash` (the event's
canonical JSON up to its last key, ``seq``, is made here; the database adds the seq and the closing
brace); ``audit_head.prev_hash`` keeps the hash it replaced, for the insert to read. ``verify``
recomputes every hash here, so the chain is exactly as tamper-evident as when Python hashed it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, func, insert, literal, select, update
from sqlalchemy.orm import Session

from monitor.service.db import aware
from monitor.store.queue_schema import AuditEventRow, AuditHeadRow

__all__ = ["GENESIS", "AuditCheck", "append_event", "canonical_json", "event_hash", "verify_chain"]

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same value always gives the same text."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _event_json(seq: int, actor: str, action: str, payload: Any, at: datetime) -> str:
    return canonical_json({"seq": seq, "actor": actor, "action": action, "payload": payload,
                           "at": aware(at).isoformat(timespec="microseconds")})


def event_hash(prev_hash: str, seq: int, actor: str, action: str, payload: Any, at: datetime) -> str:
    return hashlib.sha256((prev_hash + _event_json(seq, actor, action, payload, at)).encode("utf-8")).hexdigest()


def _event_prefix(actor: str, action: str, payload: Any, at: datetime) -> str:
    """The event's canonical JSON before its seq's digits: ``seq`` sorts last, so the rest is the seq and ``}``."""
    return _event_json(0, actor, action, payload, at)[:-len("0}")]


def append_event(session: Session, actor: str, action: str, payload: dict[str, Any], at: datetime) -> int:
    """Append one event in ``session``'s transaction (call it last: it holds the chain's lock); its seq.

    The session's pending writes are flushed first, so they are not made while the lock is held.
    """
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        return _append_in_database(session, actor, action, payload, at)
    seq, prev_hash = session.execute(
        update(AuditHeadRow).where(AuditHeadRow.id == 1)
        .values(seq=AuditHeadRow.seq + 1, prev_hash=AuditHeadRow.hash)
        .returning(AuditHeadRow.seq, AuditHeadRow.prev_hash).execution_options(synchronize_session=False)
    ).one()
    digest = event_hash(prev_hash, seq, actor, action, payload, at)
    session.execute(insert(AuditEventRow).values(seq=seq, prev_hash=prev_hash, hash=digest, actor=actor,
                                                 action=action, payload=canonical_json(payload), at=at))
    session.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1).values(hash=digest)
                    .execution_options(synchronize_session=False))
    return int(seq)


def _append_in_database(session: Session, actor: str, action: str, payload: dict[str, Any], at: datetime) -> int:
    """One statement: advance the head (hashing in PostgreSQL) and insert the event it now names."""
    hashed = AuditHeadRow.hash + literal(_event_prefix(actor, action, payload, at)) \
        + cast(AuditHeadRow.seq + 1, String) + literal("}")
    head = (
        update(AuditHeadRow).where(AuditHeadRow.id == 1)
        .values(seq=AuditHeadRow.seq + 1, prev_hash=AuditHeadRow.hash,
                hash=func.encode(func.sha256(func.convert_to(hashed, "UTF8")), "hex"))
        .returning(AuditHeadRow.seq, AuditHeadRow.prev_hash, AuditHeadRow.hash).cte("head")
    )
    row = select(head.c.seq, head.c.prev_hash, head.c.hash, literal(actor), literal(action),
                 literal(canonical_json(payload)), literal(at, AuditEventRow.at.type))
    seq = session.execute(
        insert(AuditEventRow).from_select(["seq", "prev_hash", "hash", "actor", "action", "payload", "at"], row)
        .returning(AuditEventRow.seq)
    ).scalar_one()
    return int(seq)


@dataclass(frozen=True, slots=True)
class AuditCheck:
    """What verify found: ``broken`` is the seq of the first bad entry, ``problem`` says what is wrong."""

    events: int
    broken: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None


def _content_hash(row: AuditEventRow) -> str | None:
    try:
        payload = json.loads(row.payload)
    except ValueError:
        return None
    return event_hash(row.prev_hash, row.seq, row.actor, row.action, payload, row.at)


def verify_chain(session: Session) -> AuditCheck:
    """Walk the chain from its start; stop at the first missing, altered or unlinked event."""
    rows = session.scalars(select(AuditEventRow).order_by(AuditEventRow.seq).execution_options(yield_per=1000))
    try:
        return _walk(session, rows)
    finally:
        rows.close()  # a server-side cursor on PostgreSQL, left early at a broken entry


def _walk(session: Session, rows: Iterable[AuditEventRow]) -> AuditCheck:
    expected, prev_hash = 1, GENESIS
    for row in rows:
        if row.seq != expected:
            return AuditCheck(expected - 1, expected,
                              f"audit event {expected} is missing (the chain jumps to {row.seq})")
        if row.prev_hash != prev_hash:
            return AuditCheck(expected - 1, row.seq,
                              f"audit event {row.seq} does not link to event {row.seq - 1} (one of them was rewritten)")
        if _content_hash(row) != row.hash:
            return AuditCheck(expected - 1, row.seq, f"audit event {row.seq} was altered: its content no longer "
                                                     "matches its hash")
        expected, prev_hash = expected + 1, row.hash
    last = expected - 1
    head = session.scalars(select(AuditHeadRow).where(AuditHeadRow.id == 1)).one()
    if head.seq > last:
        return AuditCheck(last, last + 1, f"audit event {last + 1} is missing: the chain ends at {last}, "
                                          f"its head at {head.seq}")
    if head.seq < last:
        return AuditCheck(last, head.seq + 1, f"audit event {head.seq + 1} lies past the chain's head "
                                              "(it was added outside the service)")
    if head.hash != prev_hash:
        return AuditCheck(last, last, f"audit event {last} does not match the chain's head")
    return AuditCheck(last)
