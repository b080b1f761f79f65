"""The service as an ASGI factory, for ``livemon serve --workers N`` (each worker process builds its own app).

The worker reads where the store is from the environment ``livemon serve`` sets: ``LIVEMON_STORE``
(the folder), ``LIVEMON_DB`` (a database URL, optional), ``LIVEMON_WEBHOOKS`` (``1`` to deliver
webhooks from this worker; on PostgreSQL several deliverers share the outbox safely),
``LIVEMON_SERVE_CONFIG`` (the options file whose room-address policy applies to added rooms, optional)
and ``LIVEMON_ROOM_LEASE`` (seconds a watch worker holds a room without a heartbeat).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from monitor.config import load_options
from monitor.errors import ConfigError
from monitor.service.app import ServiceOptions, create_app
from monitor.service.room_leases import RoomLeaseOptions
from monitor.sources.policy import SourcePolicy
from monitor.store import Store

__all__ = ["ENV_CONFIG", "ENV_DB", "ENV_ROOM_LEASE", "ENV_STORE", "ENV_WEBHOOKS", "app_from_env", "service_options"]

ENV_STORE, ENV_DB, ENV_WEBHOOKS = "LIVEMON_STORE", "LIVEMON_DB", "LIVEMON_WEBHOOKS"
ENV_CONFIG, ENV_ROOM_LEASE = "LIVEMON_SERVE_CONFIG", "LIVEMON_ROOM_LEASE"


def service_options(webhooks: bool, config: Path | None, room_lease: float) -> ServiceOptions:
    """The service's options: webhooks on or off, the room-address policy of ``config`` (the default policy
    without one), and the watch workers' room lease in seconds."""
    policy = SourcePolicy.from_options(load_options(config)) if config is not None else SourcePolicy()
    return ServiceOptions(webhooks=webhooks, room_policy=policy,
                          room_leases=RoomLeaseOptions(lease=timedelta(seconds=room_lease)))


def app_from_env() -> FastAPI:
    """The app over the store the environment names (a worker's own connection pool)."""
    folder = os.environ.get(ENV_STORE)
    if not folder:
        raise ConfigError(f"{ENV_STORE} is not set: start workers with `livemon serve --workers N`")
    store = Store.open(Path(folder), os.environ.get(ENV_DB) or None)
    config = os.environ.get(ENV_CONFIG) or None
    options = service_options(os.environ.get(ENV_WEBHOOKS) == "1", Path(config) if config else None,
                              float(os.environ.get(ENV_ROOM_LEASE) or 30.0))
    return create_app(store, options)
