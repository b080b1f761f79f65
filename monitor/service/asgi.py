"""The service as an ASGI factory, for ``livemon serve --workers N`` (each worker process builds its own app).

The worker reads where the store is from the environment ``livemon serve`` sets: ``LIVEMON_STORE``
(the folder), ``LIVEMON_DB`` (a database URL, optional) and ``LIVEMON_WEBHOOKS`` (``1`` to deliver
webhooks from this worker; on PostgreSQL several deliverers share the outbox safely).
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from monitor.errors import ConfigError
from monitor.service.app import ServiceOptions, create_app
from monitor.store import Store

__all__ = ["ENV_DB", "ENV_STORE", "ENV_WEBHOOKS", "app_from_env"]

ENV_STORE, ENV_DB, ENV_WEBHOOKS = "LIVEMON_STORE", "LIVEMON_DB", "LIVEMON_WEBHOOKS"


def app_from_env() -> FastAPI:
    """The app over the store the environment names (a worker's own connection pool)."""
    folder = os.environ.get(ENV_STORE)
    if not folder:
        raise ConfigError(f"{ENV_STORE} is not set: start workers with `livemon serve --workers N`")
    store = Store.open(Path(folder), os.environ.get(ENV_DB) or None)
    return create_app(store, ServiceOptions(webhooks=os.environ.get(ENV_WEBHOOKS) == "1"))
