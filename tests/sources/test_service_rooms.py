"""The worker's room feed (``watch --from``) against the service served by uvicorn on 127.0.0.1: grants become
rooms with their lease in the provenance, a granted address this worker's policy refuses is never started and is
given back, dropped rooms are stopped, finished rooms are given back, and an unreachable service keeps the rooms."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from monitor.cli import app
from monitor.results import RoomState
from monitor.service import ServiceOptions, create_app
from monitor.service.auth import add_user, create_token
from monitor.sinks.queue_service import QueueTarget
from monitor.sources.policy import SourcePolicy
from monitor.sources.service_rooms import ServiceRooms, default_worker_name
from monitor.store import Store
from monitor.store.rooms_schema import WatchRoomRow
from tests.service.live import closed_port, serving

PASSWORD = "correct horse battery"


class Served:
    def __init__(self, store: Store, url: str, ingest: str, lead: str) -> None:
        self.store, self.url, self.ingest, self.lead = store, url, ingest, lead

    def feed(self, worker: str = "w1", capacity: int = 4, policy: SourcePolicy = SourcePolicy()) -> ServiceRooms:
        return ServiceRooms(QueueTarget(self.url, self.ingest), worker, capacity, policy, heartbeat_s=3600)

    def add(self, address: str, vertical: str = "") -> int:
        answer = httpx.post(f"{self.url}/api/v1/watch/rooms", json={"address": address, "vertical": vertical},
                            headers={"Authorization": f"Bearer {self.lead}"})
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    def room(self, room_id: int) -> WatchRoomRow:
        with self.store.session() as s:
            return s.scalars(select(WatchRoomRow).where(WatchRoomRow.id == room_id)).one()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    store = Store.open(tmp_path / "store")
    now = datetime.now(UTC)
    with store, store.session() as s:
        add_user(s, "lin", "lead", PASSWORD, now, actor="test")
        ingest = create_token(s, "ingest", None, now, actor="test")[0]
        lead = create_token(s, "lead", "lin", now, actor="test")[0]
    with store, serving(create_app(store, ServiceOptions())) as url:
        yield Served(store, url, ingest, lead)


def test_a_grant_becomes_a_room_whose_findings_carry_its_lease(served: Served) -> None:
    room = served.add("https://cdn.example.com/live/a.m3u8")
    with served.feed() as feed:
        starts, stops = feed.update({})
        assert stops == [] and len(starts) == 1
        order = starts[0]
        assert order.spec == "https://cdn.example.com/live/a.m3u8"
        assert order.provenance == {"lease": {"room": room, "epoch": 1, "worker": "w1"}}
        state = RoomState(order.spec, findings=3)
        feed.update({order.key: state})
        assert feed.beat()
        assert (served.room(room).state, served.room(room).findings) == ("watching", 3)
    row = served.room(room)
    assert (row.state, row.lease_owner) == ("stopped", None)  # given back when the feed closed


def test_a_granted_rooms_vertical_goes_with_its_order(served: Served) -> None:
    served.add("https://cdn.example.com/live/tea.m3u8", vertical="茶叶")
    served.add("https://cdn.example.com/live/plain.m3u8")
    with served.feed() as feed:
        starts, _ = feed.update({})
        assert {o.spec: o.vertical for o in starts} == {"https://cdn.example.com/live/tea.m3u8": "tea",
                                                        "https://cdn.example.com/live/plain.m3u8": None}


def test_a_granted_address_this_workers_policy_refuses_is_never_started(served: Served) -> None:
    allowed = served.add("https://cdn.example.com/live/a.m3u8")
    other = served.add("https://other.example.org/live/b.m3u8")
    with served.store.session() as s:  # an address the service's own policy let in, changed in its database
        s.get(WatchRoomRow, allowed).address = "file:///etc/passwd"  # type: ignore[union-attr]
    with served.feed(policy=SourcePolicy(hosts=("cdn.example.com",))) as feed:
        starts, _ = feed.update({})
        assert starts == []
        assert feed.beat(claim=False)
    for room, why in ((allowed, "protocol 'file' is not allowed"), (other, "host 'other.example.org'")):
        row = served.room(room)
        assert row.state == "refused" and why in (row.detail or "") and row.lease_owner is None


def test_rooms_the_service_drops_are_stopped_and_finished_ones_given_back(served: Served) -> None:
    first = served.add("https://cdn.example.com/live/a.m3u8")
    second = served.add("https://cdn.example.com/live/b.m3u8")
    with served.feed() as feed:
        starts, _ = feed.update({})
        states = {order.key: RoomState(order.spec) for order in starts}
        feed.update(states)
        httpx.delete(f"{served.url}/api/v1/watch/rooms/{first}", headers={"Authorization": f"Bearer {served.lead}"})
        assert feed.beat()
        _, stops = feed.update(states)
        assert stops == [f"{first}:1"]
        finished = states[f"{second}:1"]
        finished.finished, finished.error = True, "直播流中断 300s 未恢复，已放弃"
        feed.update(states)
        assert feed.beat(claim=False)
        row = served.room(second)
        assert (row.state, row.lease_owner, row.detail) == ("failed", None, "直播流中断 300s 未恢复，已放弃")
        assert row.not_before is not None  # offered again after the pause
    assert served.room(first).state == "removed"


def test_an_unreachable_service_keeps_the_rooms_and_says_why(served: Served) -> None:
    served.add("https://cdn.example.com/live/a.m3u8")
    with served.feed() as feed:
        starts, _ = feed.update({})
        assert len(starts) == 1
        feed.target = QueueTarget(closed_port(), served.ingest)
        feed._client.base_url = closed_port()  # noqa: SLF001 - the service "goes away"
        assert not feed.beat()
        assert feed.last_error is not None and "cannot reach" in feed.last_error
        assert feed.update({starts[0].key: RoomState(starts[0].spec)}) == ([], [])  # nothing stopped


def test_the_default_worker_name_is_the_host_and_the_process() -> None:
    name = default_worker_name()
    assert name.endswith(f":{os.getpid()}") and re.fullmatch(r"[\w.@:-]{1,128}", name)


@pytest.mark.parametrize(("extra", "why"), [
    (["--to", "http://127.0.0.1:9/"], "--to must be the --from service"),
    (["--store", "st"], "--store does not go with --from"),
    (["--worker", "a b"], "--worker is 1-128 letters"),
])
def test_a_worker_refuses_options_that_do_not_go_with_from(extra: list[str], why: str) -> None:
    result = CliRunner().invoke(app, ["watch", "--from", "http://127.0.0.1:8/", "--token", "lm_x", *extra])
    assert result.exit_code == 2 and why in " ".join(result.output.split())
