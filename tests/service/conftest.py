"""A moderation-queue app over the ``store`` fixture (SQLite and PostgreSQL), a movable clock and a token per role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from monitor.service import ServiceOptions, create_app
from monitor.service.auth import add_user, create_token
from monitor.store import Store
from tests.service.queue_helpers import LEASE, FakeClock, Service


@pytest.fixture
def service(store: Store) -> Iterator[Service]:
    clock = FakeClock()
    with store.session() as s:
        for name, role in (("ana", "reviewer"), ("bo", "reviewer"), ("lin", "lead"), ("root", "admin")):
            add_user(s, name, role, "correct horse battery", clock(), actor="test")
        tokens = {"ingest": create_token(s, "ingest", None, clock(), actor="test")[0]}
        for name, role in (("ana", "reviewer"), ("bo", "reviewer"), ("lin", "lead"), ("root", "admin")):
            tokens[name] = create_token(s, role, name, clock(), actor="test")[0]
    app = create_app(store, ServiceOptions(lease=LEASE, group_window=60.0, max_body_bytes=64 * 1024,
                                           max_findings=50), clock)
    with TestClient(app) as client:
        yield Service(store, client, clock, tokens)
