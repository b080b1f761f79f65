"""Helpers of the queue tests: a movable clock, the app with a token per role, findings as scan writes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select, text

from monitor.store import Store
from monitor.store.queue_schema import AuditEventRow

LEASE = timedelta(minutes=10)


class FakeClock:
    """The service's clock: moved by the test, never by sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Service:
    store: Store
    client: TestClient
    clock: FakeClock
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def post(self, who: str, url: str, body: Any) -> Any:
        return self.client.post(url, json=body, headers=self.auth(who))

    def get(self, who: str, url: str, **params: Any) -> Any:
        return self.client.get(url, params=params, headers=self.auth(who))

    def claim(self, who: str = "ana") -> dict[str, Any]:
        response = self.post(who, "/api/v1/cases/claim", None)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def audit_events(self) -> int:
        with self.store.session() as s:
            return int(s.scalar(select(func.count()).select_from(AuditEventRow)) or 0)


def finding(fid: str, *, stream: str = "rtmp://cdn.example/live/room-a", category: str = "price_fraud",
            start: float = 10.0, risk: str = "block", source: str = "speech", **extra: Any) -> dict[str, Any]:
    """A finding as ``livemon scan --out`` writes it."""
    return {"id": fid, "category": category, "risk": risk, "start": start, "end": start + 3.0, "source": source,
            "text": "原价599今天只要59。", "confidence": 0.8, "rule": "price.inflated_reference", "span": [0, 10],
            "basis": "明码标价和禁止价格欺诈规定", "stream": stream,
            "evidence": {"snapshot": None, "context": "…", "signals": {}}, "provenance": {"rules": "1"}, **extra}


def drop_guards(connection: Connection) -> None:
    """Remove the triggers that keep records (as someone with the database's owner rights could)."""
    if connection.dialect.name == "sqlite":
        names = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                        "AND name LIKE 'livemon_keep_%'")).scalars().all()
        for name in names:
            connection.execute(text(f"DROP TRIGGER {name}"))
    else:
        tables = connection.execute(text("SELECT DISTINCT event_object_table FROM information_schema.triggers "
                                         "WHERE trigger_name LIKE 'livemon_keep_%' "
                                         "AND event_object_schema = current_schema()")).scalars().all()
        for table in tables:
            connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
