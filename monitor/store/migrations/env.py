"""Alembic environment: migrations run on the connection :class:`monitor.store.Store` hands over."""

from __future__ import annotations

from alembic import context

import monitor.store.governance_schema  # noqa: F401  (registers rooms, sanctions, appeals, holds, retention)
import monitor.store.outbox_schema  # noqa: F401  (registers the webhook outbox's tables)
import monitor.store.queue_schema  # noqa: F401  (registers the queue's tables)
import monitor.store.rooms_schema  # noqa: F401  (registers the rooms handed to watch workers)
from monitor.store.schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
