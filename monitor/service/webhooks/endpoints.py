"""Webhook endpoints and their keys: add (URL checked, secret made), rotate, disable, list; each change audited."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from monitor.service.audit import append_event
from monitor.service.db import aware
from monitor.service.errors import Invalid, NotFound
from monitor.service.webhooks.signing import new_secret
from monitor.store.outbox_schema import WebhookEndpointRow, WebhookKeyRow, WebhookOutboxRow

__all__ = [
    "ROTATION_GRACE",
    "add_endpoint",
    "check_url",
    "disable_endpoint",
    "list_endpoints",
    "live_keys",
    "rotate_key",
]

ROTATION_GRACE = timedelta(hours=24)
"""How long the older keys still sign after a rotation."""
MAX_URL = 2048


def check_url(url: str) -> str:
    """``url`` when it is an ``http``/``https`` URL with a host and no credentials; else :class:`Invalid`."""
    if not url or len(url) > MAX_URL or any(c.isspace() or not c.isprintable() for c in url):
        raise Invalid(f"a webhook URL is 1-{MAX_URL} printable characters without spaces")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Invalid("a webhook URL must start with http:// or https://")
    try:
        host, _port = parts.hostname, parts.port
    except ValueError as e:
        raise Invalid(f"the webhook URL's port is not valid: {e}") from None
    if not host:
        raise Invalid("a webhook URL needs a host")
    if parts.username is not None or parts.password is not None:
        raise Invalid("a webhook URL may not carry a user name or password (they would be listed in clear)")
    return url


def _endpoint(session: Session, endpoint_id: int) -> WebhookEndpointRow:
    endpoint = session.get(WebhookEndpointRow, endpoint_id, with_for_update=True)
    if endpoint is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    if not endpoint.enabled:
        raise Invalid(f"webhook endpoint {endpoint_id} is disabled")
    return endpoint


def _add_key(session: Session, endpoint_id: int, now: datetime) -> tuple[WebhookKeyRow, str]:
    secret = new_secret()
    key = WebhookKeyRow(endpoint_id=endpoint_id, secret=secret, created_at=now, expires_at=None)
    session.add(key)
    session.flush()
    return key, secret


def add_endpoint(session: Session, url: str, now: datetime, actor: str) -> tuple[int, str]:
    """A new enabled endpoint and its first signing secret (returned once; it is stored to sign with)."""
    endpoint = WebhookEndpointRow(url=check_url(url), enabled=True, created_at=now)
    session.add(endpoint)
    session.flush()
    key, secret = _add_key(session, endpoint.id, now)
    append_event(session, actor, "webhook.endpoint_added", {"endpoint": endpoint.id, "url": url, "key": key.id}, now)
    return endpoint.id, secret


def rotate_key(session: Session, endpoint_id: int, now: datetime, actor: str,
               grace: timedelta = ROTATION_GRACE) -> str:
    """A new secret for the endpoint; the older keys keep signing alongside it for ``grace``, then expire."""
    _endpoint(session, endpoint_id)
    until = now + grace
    session.execute(
        update(WebhookKeyRow)
        .where(WebhookKeyRow.endpoint_id == endpoint_id,
               or_(WebhookKeyRow.expires_at.is_(None), WebhookKeyRow.expires_at > until))
        .values(expires_at=until).execution_options(synchronize_session=False)
    )
    key, secret = _add_key(session, endpoint_id, now)
    append_event(session, actor, "webhook.key_rotated",
                 {"endpoint": endpoint_id, "key": key.id, "previous_keys_expire": until.isoformat()}, now)
    return secret


def disable_endpoint(session: Session, endpoint_id: int, now: datetime, actor: str) -> int:
    """Stop sending to the endpoint; its pending events are dead-lettered. How many were."""
    endpoint = _endpoint(session, endpoint_id)
    endpoint.enabled = False
    dropped = session.scalars(
        update(WebhookOutboxRow)
        .where(WebhookOutboxRow.endpoint_id == endpoint_id, WebhookOutboxRow.next_attempt_at.is_not(None))
        .values(next_attempt_at=None, dead_at=now, last_error="the endpoint was disabled")
        .returning(WebhookOutboxRow.id).execution_options(synchronize_session=False)
    ).all()
    append_event(session, actor, "webhook.endpoint_disabled", {"endpoint": endpoint_id, "dead_lettered": len(dropped)},
                 now)
    return len(dropped)


def live_keys(session: Session, endpoint_ids: Iterable[int], now: datetime) -> dict[int, list[str]]:
    """The secrets each endpoint signs with at ``now`` (those not expired), newest first."""
    keys: dict[int, list[str]] = defaultdict(list)
    for endpoint_id, secret in session.execute(
        select(WebhookKeyRow.endpoint_id, WebhookKeyRow.secret)
        .where(WebhookKeyRow.endpoint_id.in_(set(endpoint_ids)),
               or_(WebhookKeyRow.expires_at.is_(None), WebhookKeyRow.expires_at > now))
        .order_by(WebhookKeyRow.id.desc())
    ):
        keys[endpoint_id].append(secret)
    return keys


def list_endpoints(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Every endpoint with its live key count and its events pending, delivered and dead (no secrets)."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"pending": 0, "delivered": 0, "dead": 0})
    for endpoint_id, pending, delivered, dead in session.execute(
        select(WebhookOutboxRow.endpoint_id, func.count(WebhookOutboxRow.next_attempt_at),
               func.count(WebhookOutboxRow.delivered_at), func.count(WebhookOutboxRow.dead_at))
        .group_by(WebhookOutboxRow.endpoint_id)
    ):
        counts[endpoint_id] = {"pending": int(pending), "delivered": int(delivered), "dead": int(dead)}
    endpoints = session.scalars(select(WebhookEndpointRow).order_by(WebhookEndpointRow.id)).all()
    keys = live_keys(session, (e.id for e in endpoints), now)
    return [
        {"id": e.id, "url": e.url, "enabled": e.enabled, "created_at": aware(e.created_at).isoformat(),
         "live_keys": len(keys[e.id]), **counts[e.id]}
        for e in endpoints
    ]
