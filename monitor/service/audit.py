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

from sqlalchemy import Executable, String, bindparam, cast, func, insert, literal, select, update
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


def _statements() -> tuple[Executable, Executable, Executable, Executable]:
    """The appends' statements, built once (bound values only) so no call compiles or keys them anew.

    PostgreSQL's is one statement: the head advances, hashing in the database, and the event is inserted.
    SQLite's are three: advance the head, insert the event hashed here, store its hash in the head.
    """
    head = AuditHeadRow
    hashed = head.hash + bindparam("prefix", type_=String) + cast(head.seq + 1, String) + literal("}")
    digest = func.encode(func.sha256(func.convert_to(hashed, "UTF8")), "hex")
    advanced = (
        update(head).where(head.id == 1).values(seq=head.seq + 1, prev_hash=head.hash, hash=digest)
        .returning(head.seq, head.prev_hash, head.hash).cte("head")
    )
    event = select(advanced.c.seq, advanced.c.prev_hash, advanced.c.hash, bindparam("actor", type_=String),
                   bindparam("action", type_=String), bindparam("payload", type_=String),
                   bindparam("at", type_=AuditEventRow.at.type))
    columns = ["seq", "prev_hash", "hash", "actor", "action", "payload", "at"]
    in_database = insert(AuditEventRow).from_select(columns, event).returning(AuditEventRow.seq)
    advance = (update(head).where(head.id == 1).values(seq=head.seq + 1, prev_hash=head.hash)
               .returning(head.seq, head.prev_hash))
    settle = update(head).where(head.id == 1).values(hash=bindparam("digest", type_=String))
    return in_database, advance, insert(AuditEventRow), settle


_APPEND_IN_DATABASE, _ADVANCE, _INSERT_EVENT, _SETTLE = _statements()


def append_event(session: Session, actor: str, action: str, payload: dict[str, Any], at: datetime) -> int:
    """Append one event in ``session``'s transaction (call it last: it holds the chain's lock); its seq.

    The session's pending writes are flushed first, so they are not made while the lock is held.
    """
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return int(connection.execute(_APPEND_IN_DATABASE, {
            "prefix": _event_prefix(actor, action, payload, at), "actor": actor, "action": action,
            "payload": canonical_json(payload), "at": at}).scalar_one())
    seq, prev_hash = connection.execute(_ADVANCE).one()
    digest = event_hash(prev_hash, seq, actor, action, payload, at)
    connection.execute(_INSERT_EVENT, {"seq": seq, "prev_hash": prev_hash, "hash": digest, "actor": actor,
                                       "action": action, "payload": canonical_json(payload), "at": at})
    connection.execute(_SETTLE, {"digest": digest})
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
