"""Tables of the webhook outbox (``livemon webhooks``): endpoints, their signing keys, and events to deliver.

Changed only together with a migration in ``migrations/versions``. An outbox row is written in the
same transaction as the state change it reports, so an event exists exactly when its change does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from monitor.store.schema import Base

__all__ = ["WebhookEndpointRow", "WebhookKeyRow", "WebhookOutboxRow"]

_TS = DateTime(timezone=True)


class WebhookEndpointRow(Base):
    """A receiver on the platform's side: an ``http``/``https`` URL set by an admin; disabled ones get nothing."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(_TS)


class WebhookKeyRow(Base):
    """A signing secret of an endpoint (``whsec_`` + base64), live from ``created_at`` until ``expires_at``.

    Stored as is: the server needs it to sign. A rotation adds a key and gives the older ones an
    ``expires_at``, so for a grace period every delivery carries two signatures.
    """

    __tablename__ = "webhook_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    secret: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(_TS)
    expires_at: Mapped[datetime | None] = mapped_column(_TS)


class WebhookOutboxRow(Base):
    """One event for one endpoint: pending while ``next_attempt_at`` is set, then delivered or dead.

    ``event_id`` is the ``webhook-id`` a receiver dedupes by (the same for every endpoint of one
    event); ``payload`` is the canonical JSON of the event's data. A failed attempt reschedules
    the row with jittered backoff until ``give_up_at`` (24 h after the event, or after a replay),
    then it is dead-lettered.
    """

    __tablename__ = "webhook_outbox"
    __table_args__ = (
        UniqueConstraint("event_id", "endpoint_id", name="uq_webhook_outbox_event_endpoint"),
        Index("ix_webhook_outbox_due", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(40))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"))
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(_TS)
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(_TS)
    """When the row is next due (or when a running attempt's claim lapses); ``None`` once delivered or dead."""
    give_up_at: Mapped[datetime] = mapped_column(_TS)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(_TS)
    dead_at: Mapped[datetime | None] = mapped_column(_TS)
