"""Webhooks on SQLite and PostgreSQL: signed deliveries reach a local receiver, survive its downtime, die after 24 h.

The receiver is a real HTTP server on 127.0.0.1 that checks each signature the way the README's
snippet does. Time is the service's FakeClock, moved by the tests; one deliverer pass is one call.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import socket
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from standardwebhooks import Webhook, WebhookVerificationError
from typer.testing import CliRunner

from monitor.cli import app as cli
from monitor.service import ServiceOptions, create_app
from monitor.service.auth import create_token
from monitor.service.db import aware
from monitor.service.webhooks import Deliverer, DeliveryOptions, add_endpoint, enqueue, replay, rotate_key
from monitor.service.webhooks.signing import signed_headers
from monitor.store import Store
from monitor.store.outbox_schema import WebhookOutboxRow
from monitor.store.queue_schema import AuditEventRow
from tests.service.queue_helpers import FakeClock, Service, finding

runner = CliRunner()


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float, tolerance: int = 300) -> bool:
    """The README's receiver check (with ``now`` given instead of ``time.time()``)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    msg_id, stamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(now - int(stamp)) > tolerance:
        return False
    mac = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(mac).decode()
    return any(hmac.compare_digest(expected, sig) for sig in headers["webhook-signature"].split())


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    body: bytes
    status: int
    """What the receiver answered."""
    at: float
    """The receiver's time when it came (Unix seconds by the service's clock)."""

    @property
    def event(self) -> dict[str, Any]:
        return dict(json.loads(self.body))

    def verifies(self, secret: str) -> bool:
        return verify(secret, self.headers, self.body, self.at)


class Receiver:
    """An HTTP server on 127.0.0.1 (ephemeral port), in a thread, answering every POST with ``status``."""

    def __init__(self, clock: FakeClock) -> None:
        self.status = 200
        self.deliveries: list[Delivery] = []
        self.got = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.status
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.deliveries.append(Delivery(headers, body, status, clock().timestamp()))
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()
                if status == 200:
                    receiver.got.set()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks/livemon"

    def accepted(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.status == 200]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receiver(service: Service) -> Iterator[Receiver]:
    running = Receiver(service.clock)
    yield running
    running.close()


def _where(store: Store) -> list[str]:
    options = ["--store", str(store.folder)]
    if store.engine.dialect.name != "sqlite":
        options += ["--db", store.engine.url.render_as_string(hide_password=False)]
    return options


def _deliverer(service: Service) -> Deliverer:
    return Deliverer(service.store, service.clock, DeliveryOptions(timeout=5.0), rng=random.Random(16))


def _endpoint(service: Service, url: str) -> str:
    with service.store.session() as s:
        return add_endpoint(s, url, service.clock(), actor="test")[1]


def _ingest(service: Service, *streams: str) -> None:
    response = service.post("ingest", "/api/v1/findings",
                            [finding(f"f-{stream}", stream=stream) for stream in streams])
    assert response.status_code == 200, response.text


def _decide(service: Service, body: dict[str, Any]) -> None:
    lease = service.claim()
    response = service.post("ana", f"/api/v1/cases/{lease['id']}/decision",
                            {"lease_token": lease["lease_token"], "reason": "主播称原价599元，无依据",
                             "policies": ["明码标价和禁止价格欺诈规定"], **body})
    assert response.status_code == 200, response.text


def _rows(store: Store) -> list[WebhookOutboxRow]:
    with store.session() as s:
        return list(s.scalars(select(WebhookOutboxRow).order_by(WebhookOutboxRow.id)).all())


def _jump_to_due(service: Service) -> bool:
    """Move the clock to the next pending row's due time; False when nothing is pending."""
    with service.store.session() as s:
        due = s.scalar(select(func.min(WebhookOutboxRow.next_attempt_at)))
    if due is None:
        return False
    service.clock.now = max(service.clock.now, aware(due))
    return True


def _audit_actions(store: Store) -> list[str]:
    with store.session() as s:
        return list(s.scalars(select(AuditEventRow.action).order_by(AuditEventRow.seq)).all())


def test_events_reach_the_receiver_signed(service: Service, receiver: Receiver) -> None:
    added = runner.invoke(cli, ["webhooks", "add", receiver.url, *_where(service.store)])
    assert added.exit_code == 0, added.output
    secret = added.output.strip().splitlines()[-1]
    assert secret.startswith("whsec_") and " " not in secret
    _ingest(service, "room-a", "room-b")
    _decide(service, {"action": "confirm", "sanction": "警示"})
    _decide(service, {"action": "dismiss"})
    refused = service.post("ana", "/api/v1/cases/1/decision", {"lease_token": "stale", "action": "confirm",
                                                              "reason": "再次确认", "policies": ["广告法第九条"]})
    assert refused.status_code == 409 and len(_rows(service.store)) == 5  # a refused change queues no event

    result = _deliverer(service).run_once()

    assert (result.delivered, result.failed, result.dead) == (5, 0, 0)
    assert all(d.verifies(secret) for d in receiver.deliveries)
    events = [d.event for d in receiver.deliveries]
    assert sorted(e["type"] for e in events) == ["case.decided", "case.decided", "case.opened", "case.opened",
                                                 "case.sanctioned"]
    assert all(d.headers["webhook-id"] == d.event["id"] for d in receiver.deliveries)
    opened = {e["data"]["stream"]: e["data"] for e in events if e["type"] == "case.opened"}
    assert opened["room-a"]["findings"] == ["f-room-a"] and opened["room-a"]["category"] == "price_fraud"
    assert opened["room-a"]["risk"] == "block"
    sanctioned = next(e["data"] for e in events if e["type"] == "case.sanctioned")
    assert sanctioned["sanction"] == "警示" and sanctioned["policies"] == ["明码标价和禁止价格欺诈规定"]
    assert sanctioned["action"] == "confirm" and "reason" not in sanctioned and "decided_by" not in sanctioned
    assert _deliverer(service).run_once().attempted == 0  # nothing is sent twice
    assert len(receiver.deliveries) == 5


def test_a_receiver_down_for_ten_minutes_gets_every_event_once_back(service: Service, receiver: Receiver) -> None:
    secret = _endpoint(service, receiver.url)
    receiver.status = 503
    _ingest(service, *(f"room-{n}" for n in range(6)))
    queued = {row.event_id for row in _rows(service.store)}
    deliverer = _deliverer(service)
    back_at = service.clock() + timedelta(minutes=10)
    while service.clock() < back_at:
        deliverer.run_once()
        service.clock.advance(seconds=30)
    assert receiver.deliveries and not receiver.accepted()
    assert all(row.delivered_at is None and row.dead_at is None for row in _rows(service.store))

    receiver.status = 200
    while _jump_to_due(service):
        deliverer.run_once()

    assert len(queued) == 6
    assert sorted(d.event["id"] for d in receiver.accepted()) == sorted(queued)  # every event, each once
    assert all(d.verifies(secret) for d in receiver.accepted())
    assert service.clock() - back_at <= timedelta(hours=1)  # the backoff's cap
    assert all(row.delivered_at is not None for row in _rows(service.store))


def test_after_24_hours_an_event_is_dead_and_replay_delivers_it(service: Service, receiver: Receiver) -> None:
    secret = _endpoint(service, receiver.url)
    receiver.status = 503
    _ingest(service, "room-a")
    created = service.clock()
    deliverer = _deliverer(service)
    while _jump_to_due(service):
        deliverer.run_once()

    (row,) = _rows(service.store)
    assert row.dead_at is not None and aware(row.dead_at) - created >= timedelta(hours=24)
    assert row.attempts > 10 and row.last_error == "HTTP 503"
    dead = runner.invoke(cli, ["webhooks", "dead", *_where(service.store)])
    assert dead.exit_code == 0, dead.output
    (letter,) = [json.loads(line) for line in dead.output.splitlines()]
    assert (letter["event"], letter["kind"], letter["last_error"]) == (row.event_id, "case.opened", "HTTP 503")

    receiver.status = 200
    replayed = runner.invoke(cli, ["webhooks", "replay", "--all-dead", *_where(service.store)])
    assert replayed.exit_code == 0, replayed.output
    assert "1 delivery(ies) queued again" in replayed.output
    assert _jump_to_due(service)
    assert deliverer.run_once().delivered == 1
    (accepted,) = receiver.accepted()
    assert accepted.event["id"] == row.event_id and accepted.verifies(secret)
    assert _audit_actions(service.store)[-1] == "webhook.replayed"


def test_during_a_rotation_both_secrets_verify(service: Service, receiver: Receiver) -> None:
    old = _endpoint(service, receiver.url)
    with service.store.session() as s:
        new = rotate_key(s, 1, service.clock(), actor="test")
    _ingest(service, "room-a")
    _deliverer(service).run_once()
    (during,) = receiver.deliveries
    assert len(during.headers["webhook-signature"].split()) == 2
    assert during.verifies(old) and during.verifies(new)

    service.clock.advance(hours=24, seconds=1)
    _ingest(service, "room-b")
    _deliverer(service).run_once()
    after = receiver.deliveries[1]
    assert after.verifies(new) and not after.verifies(old)
    assert len(after.headers["webhook-signature"].split()) == 1


def test_a_tampered_body_or_another_secret_fails_verification() -> None:
    secret, other = "whsec_" + base64.b64encode(b"k" * 32).decode(), "whsec_" + base64.b64encode(b"o" * 32).decode()
    body = '{"data":{"case":1,"sanction":"警示"},"id":"evt_1","type":"case.sanctioned"}'
    now = datetime.now(UTC)
    headers = signed_headers("evt_1", body, [secret], now)
    raw = body.encode()
    assert verify(secret, headers, raw, now.timestamp())
    assert not verify(secret, headers, raw.replace("警示".encode(), "黑名单".encode()), now.timestamp())
    assert not verify(other, headers, raw, now.timestamp())
    assert not verify(secret, headers, raw, (now + timedelta(minutes=10)).timestamp())  # a replayed old request
    assert Webhook(secret).verify(raw, headers) == json.loads(body)  # what the standardwebhooks package checks
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(raw.replace(b"case.sanctioned", b"case.decided"), headers)


@pytest.mark.parametrize(
    "url",
    ["ftp://platform.example/hooks", "file:///etc/passwd", "javascript:alert(1)", "https://", "platform.example/x",
     "https://user:pw@platform.example/hooks", "https://platform.example/a b"],
)
def test_webhooks_add_refuses_a_url_that_is_not_plain_http(store: Store, url: str) -> None:
    added = runner.invoke(cli, ["webhooks", "add", url, *_where(store)])
    assert added.exit_code == 2 and "error:" in added.output and "whsec_" not in added.output
    listed = runner.invoke(cli, ["webhooks", "list", *_where(store)])
    assert listed.exit_code == 0 and listed.output == ""
    assert _audit_actions(store) == []


def test_admin_commands_are_audited_and_disable_dead_letters_pending_events(
    service: Service, receiver: Receiver
) -> None:
    where = _where(service.store)
    assert runner.invoke(cli, ["webhooks", "add", receiver.url, *where]).exit_code == 0
    rotated = runner.invoke(cli, ["webhooks", "rotate", "1", *where])
    assert rotated.exit_code == 0 and rotated.output.strip().splitlines()[-1].startswith("whsec_")
    _ingest(service, "room-a")
    (endpoint,) = [json.loads(line) for line in runner.invoke(cli, ["webhooks", "list", *where]).output.splitlines()]
    assert endpoint | {"created_at": None} == {"id": 1, "url": receiver.url, "enabled": True, "created_at": None,
                                               "live_keys": 2, "pending": 1, "delivered": 0, "dead": 0}

    disabled = runner.invoke(cli, ["webhooks", "disable", "1", *where])
    assert disabled.exit_code == 0 and "1 pending event(s) dead-lettered" in disabled.output
    assert _deliverer(service).run_once().attempted == 0 and receiver.deliveries == []
    (row,) = _rows(service.store)
    assert row.last_error == "the endpoint was disabled"
    refused = runner.invoke(cli, ["webhooks", "replay", "--event", row.event_id, *where])
    assert refused.exit_code == 2 and "endpoints are disabled" in refused.output
    with service.store.session() as s:
        assert enqueue(s, "case.opened", {"case": 2}, service.clock()) is None  # no enabled endpoint: nothing queued
    assert len(_rows(service.store)) == 1
    actions = _audit_actions(service.store)
    assert [a for a in actions if a.startswith("webhook.")] == [
        "webhook.endpoint_added", "webhook.key_rotated", "webhook.endpoint_disabled"]


def test_a_redirect_or_a_refused_connection_is_a_failed_attempt(service: Service, receiver: Receiver) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    _endpoint(service, receiver.url)
    _endpoint(service, f"http://127.0.0.1:{closed_port}/hooks")
    receiver.status = 302
    _ingest(service, "room-a")

    result = _deliverer(service).run_once()

    assert (result.delivered, result.failed) == (0, 2)
    assert len(receiver.deliveries) == 1  # the redirect was not followed
    errors = sorted(row.last_error or "" for row in _rows(service.store))
    assert errors[0].startswith("ConnectError") and errors[1] == "HTTP 302"
    assert all(row.next_attempt_at is not None and row.dead_at is None for row in _rows(service.store))


def test_a_claim_left_by_a_stopped_deliverer_is_retried_after_it_lapses(service: Service, receiver: Receiver) -> None:
    _endpoint(service, receiver.url)
    _ingest(service, "room-a")
    stopped = threading.Event()
    stopped.set()
    deliverer = _deliverer(service)

    assert deliverer.run_once(stopped).attempted == 0  # claimed, then stopped before posting
    assert deliverer.run_once().attempted == 0  # the claim keeps others off it
    service.clock.now += deliverer.options.claim_for
    assert deliverer.run_once().delivered == 1
    assert len(receiver.accepted()) == 1


def test_replay_of_a_delivered_event_sends_it_again_and_unknown_events_are_refused(
    service: Service, receiver: Receiver
) -> None:
    _endpoint(service, receiver.url)
    _ingest(service, "room-a")
    deliverer = _deliverer(service)
    deliverer.run_once()
    (row,) = _rows(service.store)
    with service.store.session() as s:
        assert replay(s, service.clock(), "test", event_id=row.event_id) == 1
    deliverer.run_once()
    assert [d.event["id"] for d in receiver.accepted()] == [row.event_id] * 2  # receivers dedupe by webhook-id
    missing = runner.invoke(cli, ["webhooks", "replay", "--event", "evt_nope", *_where(service.store)])
    assert missing.exit_code == 2 and "no webhook event 'evt_nope'" in missing.output
    neither = runner.invoke(cli, ["webhooks", "replay", *_where(service.store)])
    assert neither.exit_code == 2 and "--all-dead" in neither.output


def test_serve_delivers_from_a_background_thread_and_counts_it(store: Store) -> None:
    clock = FakeClock()
    receiver = Receiver(clock)
    with store.session() as s:
        token = create_token(s, "ingest", None, clock(), actor="test")[0]
        add_endpoint(s, receiver.url, clock(), actor="test")
    app = create_app(store, ServiceOptions(webhooks=True), clock)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with TestClient(app) as client:
            assert client.post("/api/v1/findings", json=[finding("f1")], headers=headers).status_code == 200
            assert receiver.got.wait(30), "the background deliverer never posted"
        # leaving the client stopped the thread after its pass; a new lifespan serves the same metrics
        with TestClient(app) as client:
            metrics = client.get("/metrics", headers=headers).text
    finally:
        receiver.close()
    assert 'livemon_webhook_deliveries_total{outcome="delivered"} 1.0' in metrics
    assert 'livemon_webhook_deliveries_total{outcome="dead"} 0.0' in metrics


def test_webhooks_deliver_once_sends_what_is_due_and_prints_the_counts(service: Service, receiver: Receiver) -> None:
    _endpoint(service, receiver.url)
    _ingest(service, "room-a", "room-b")
    delivered = runner.invoke(cli, ["webhooks", "deliver", "--once", *_where(service.store)])
    assert delivered.exit_code == 0, delivered.output
    assert json.loads(delivered.output.splitlines()[-1]) == {"delivered": 2, "failed": 0, "dead": 0, "attempted": 2}
    assert len(receiver.accepted()) == 2


def test_a_blacklisting_and_its_appeal_reach_the_platform(service: Service, receiver: Receiver) -> None:
    _endpoint(service, receiver.url)
    _ingest(service, "room-a")
    lease = service.claim("lin")
    terms = {"facts": "虚构原价", "basis": ["价格法 第十四条"], "period_days": 30, "appeal_route": "商家后台申诉"}
    decided = service.post("lin", f"/api/v1/cases/{lease['id']}/decision", {
        "lease_token": lease["lease_token"], "action": "confirm", "reason": "原价无依据", "policies": ["价格法"],
        "sanction": "黑名单", "terms": terms})
    assert decided.status_code == 200, decided.text
    sanction = decided.json()["sanction"]
    appeal = service.post("ingest", f"/api/v1/sanctions/{sanction}/appeals", {"statement": "有成交记录"})
    assert service.post("root", f"/api/v1/appeals/{appeal.json()['id']}/decision",
                        {"outcome": "upheld", "reason": "记录属实"}).status_code == 200
    assert _deliverer(service).run_once().delivered == 5
    events = {d.event["type"]: d.event["data"] for d in receiver.deliveries}
    assert events["case.sanctioned"]["terms"]["facts"] == "虚构原价"
    assert events["case.sanctioned"]["terms"]["appeal_route"] == "商家后台申诉"
    assert events["appeal.filed"]["sanction"] == sanction and "filed_by" not in events["appeal.filed"]
    assert (events["appeal.decided"]["status"], events["appeal.decided"]["sanction_status"]) == ("upheld", "lifted")
