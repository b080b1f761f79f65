"""The outbox: events written in the state change's own transaction, listed when dead, replayed on demand.

Because :func:`enqueue` writes in the caller's transaction, an event exists exactly when the change
it reports was committed: nothing is lost between the database and the network. Delivery is at
least once and unordered; receivers dedupe by ``webhook-id``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, insert, select, update
from sqlalchemy.orm import Session

from monitor.service.audit import append_event, canonical_json
from monitor.service.db import aware
from monitor.service.errors import Invalid, NotFound
from monitor.store.outbox_schema import WebhookEndpointRow, WebhookOutboxRow

__all__ = ["RETRY_FOR", "dead_letters", "enqueue", "enqueue_many", "envelope", "replay"]

RETRY_FOR = timedelta(hours=24)
"""How long an event is retried (from when it was queued or replayed) before it is dead-lettered."""
_KIND = re.compile(r"[a-z]+(\.[a-z_]+)+")


def enqueue(session: Session, kind: str, payload: Mapping[str, Any], now: datetime) -> str | None:
    """Queue event ``kind`` (e.g. ``case.opened``, ``appeal.filed``) for every enabled endpoint.

    Call it inside the transaction that makes the change the event reports, so both commit or
    neither does. ``payload`` is the event's ``data``: JSON-safe values only (times as ISO
    strings), ids and facts the platform acts on, no secrets. Returns the event id (the
    ``webhook-id`` every endpoint receives), or ``None`` when no endpoint is enabled.
    """
    return enqueue_many(session, kind, [payload], now)[0]


def enqueue_many(session: Session, kind: str, payloads: Sequence[Mapping[str, Any]],
                 now: datetime) -> list[str | None]:
    """:func:`enqueue` for several events of one kind: one query for the endpoints, one insert for all."""
    if len(kind) > 40 or not _KIND.fullmatch(kind):
        raise ValueError(f"an event kind is dotted lowercase words of at most 40 characters, got {kind!r}")
    if not payloads:
        return []
    data = [canonical_json(dict(payload)) for payload in payloads]
    endpoints = session.scalars(select(WebhookEndpointRow.id).where(WebhookEndpointRow.enabled.is_(True))).all()
    if not endpoints:
        return [None] * len(payloads)
    event_ids = [f"evt_{uuid.uuid4().hex}" for _ in payloads]
    session.execute(insert(WebhookOutboxRow), [
        {"event_id": event_id, "endpoint_id": endpoint_id, "kind": kind, "payload": payload, "created_at": now,
         "attempts": 0, "next_attempt_at": now, "give_up_at": now + RETRY_FOR}
        for event_id, payload in zip(event_ids, data, strict=True) for endpoint_id in endpoints
    ])
    return list(event_ids)


def envelope(event_id: str, kind: str, payload: str, created_at: datetime) -> str:
    """The body a receiver gets: ``{"id", "type", "timestamp", "data"}`` as canonical JSON (the same on every retry)."""
    return canonical_json({"id": event_id, "type": kind, "timestamp": aware(created_at).isoformat(),
                           "data": json.loads(payload)})


def dead_letters(session: Session, limit: int = 1000) -> list[dict[str, Any]]:
    """Dead-lettered deliveries, newest first: event, endpoint, kind, attempts, times and the last error."""
    rows = session.scalars(
        select(WebhookOutboxRow).where(WebhookOutboxRow.dead_at.is_not(None))
        .order_by(WebhookOutboxRow.dead_at.desc(), WebhookOutboxRow.id.desc()).limit(limit)
    )
    return [
        {"event": r.event_id, "endpoint": r.endpoint_id, "kind": r.kind, "attempts": r.attempts,
         "created_at": aware(r.created_at).isoformat(), "dead_at": aware(r.dead_at).isoformat() if r.dead_at else None,
         "last_error": r.last_error}
        for r in rows
    ]


def replay(session: Session, now: datetime, actor: str, *, event_id: str | None = None,
           all_dead: bool = False) -> int:
    """Queue again one event's finished deliveries (dead or delivered), or every dead one; how many.

    Only deliveries to enabled endpoints are replayed; each gets a fresh :data:`RETRY_FOR` window.
    """
    if (event_id is None) == (not all_dead):
        raise Invalid("replay either one event (--event ID) or every dead letter (--all-dead)")
    finished: ColumnElement[bool]
    if event_id is not None:
        if session.scalars(select(WebhookOutboxRow.id).where(WebhookOutboxRow.event_id == event_id)).first() is None:
            raise NotFound(f"no webhook event {event_id!r}")
        finished = (WebhookOutboxRow.event_id == event_id) & WebhookOutboxRow.next_attempt_at.is_(None)
    else:
        finished = WebhookOutboxRow.dead_at.is_not(None)
    enabled = select(WebhookEndpointRow.id).where(WebhookEndpointRow.enabled.is_(True))
    requeued = session.scalars(
        update(WebhookOutboxRow).where(finished, WebhookOutboxRow.endpoint_id.in_(enabled))
        .values(attempts=0, next_attempt_at=now, give_up_at=now + RETRY_FOR, delivered_at=None, dead_at=None)
        .returning(WebhookOutboxRow.id).execution_options(synchronize_session=False)
    ).all()
    if event_id is not None and not requeued:
        raise Invalid(f"event {event_id!r} is still being delivered, or its endpoints are disabled")
    if requeued:
        append_event(session, actor, "webhook.replayed",
                     {"event": event_id, "all_dead": all_dead, "deliveries": len(requeued)}, now)
    return len(requeued)
