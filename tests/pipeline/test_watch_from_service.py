"""Rooms shared across workers, as an operator runs them: two `livemon watch --from` processes take their rooms from
the service (served by uvicorn on 127.0.0.1), one is killed with SIGKILL, and the other takes its room within the
lease expiry and goes on finding what the room shows.

The rooms are live HLS rooms (:class:`monitor.demo.live_hls.LiveHls`) made from generated media: a sliding
playlist of 1 s segments whose captions change every few seconds, alternating an absolute term and a traffic
diversion. Worker A may hold one room, worker B two. The service runs on PostgreSQL, as a platform runs it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import select

from monitor.demo.live_hls import Caption, LiveHls, make_segments
from monitor.service import ServiceOptions, create_app
from monitor.service.auth import add_user, create_token
from monitor.service.room_leases import RoomLeaseOptions
from monitor.store import Store
from monitor.store.queue_schema import AuditEventRow, IngestedFindingRow
from tests.service.live import serving

LEASE_S = 9.0
"""The service's room lease: a worker's heartbeat comes every third of it."""
STREAM_S = 300.0
CAPTIONS = [Caption("全网最低价" if i % 2 == 0 else "加V信 zb8888", 6.0 * i + 1.0, 6.0 * i + 4.5)
            for i in range(int(STREAM_S // 6))]
T = TypeVar("T")


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]


class Platform:
    """The service, its store, the two live rooms and the workers started against them."""

    def __init__(self, store: Store, url: str, lead: str, ingest: str, folder: Path) -> None:
        self.store, self.url, self.folder = store, url, folder
        self.lead, self.ingest = {"Authorization": f"Bearer {lead}"}, ingest
        self.workers: list[Worker] = []

    def start(self, name: str, capacity: int) -> Worker:
        log = self.folder / f"{name}.log"
        command = [sys.executable, "-m", "monitor.cli", "watch", "--from", self.url, "--worker", name,
                   "--capacity", str(capacity), "--no-speech", "--no-clips",
                   "--out", str(self.folder / f"{name}.jsonl")]
        env = {**os.environ, "LIVEMON_TOKEN": self.ingest, "COLUMNS": "200"}
        with log.open("wb") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=Path.cwd())
        worker = Worker(name, process, log)
        self.workers.append(worker)
        return worker

    def rooms(self) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.url}/api/v1/watch/rooms", headers=self.lead)
        assert answer.status_code == 200, answer.text
        return list(answer.json()["rooms"])

    def held(self) -> dict[int, tuple[str, int]]:
        """Room id → (its holder, the lease epoch) for every room whose lease is live."""
        return {r["id"]: (r["worker"], r["epoch"]) for r in self.rooms() if r["held"]}

    def findings(self) -> list[dict[str, Any]]:
        with self.store.session() as s:
            return [json.loads(body) for body in s.scalars(select(IngestedFindingRow.body))]

    def found_by(self, worker: str, room: int, after: datetime | None = None) -> list[dict[str, Any]]:
        return [f for f in self.findings()
                if (f["provenance"].get("lease") or {}).get("worker") == worker
                and f["provenance"]["lease"]["room"] == room
                and (after is None or datetime.fromisoformat(f["wall_time"]) > after)]


def _until(what: str, check: Callable[[], T | None], timeout: float, workers: list[Worker]) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        for worker in workers:
            assert worker.process.poll() is None or worker.process.returncode == -signal.SIGKILL, (
                f"worker {worker.name} exited ({worker.process.returncode}):\n{worker.tail()}")
        time.sleep(0.25)
    logs = "\n".join(f"--- {w.name}:\n{w.tail()}" for w in workers)
    raise AssertionError(f"{what}: not within {timeout:g}s\n{logs}")


@pytest.fixture
def platform(store: Store, tmp_path: Path) -> Iterator[Platform]:
    segments = make_segments(tmp_path, STREAM_S, CAPTIONS)
    rooms = [LiveHls(tmp_path, segments), LiveHls(tmp_path, segments)]
    now = datetime.now(UTC)
    with store.session() as s:
        add_user(s, "lin", "lead", "correct horse battery", now, actor="test")
        lead = create_token(s, "lead", "lin", now, actor="test")[0]
        ingest = create_token(s, "ingest", None, now, actor="test")[0]
    app = create_app(store, ServiceOptions(room_leases=RoomLeaseOptions(lease=timedelta(seconds=LEASE_S))))
    with serving(app) as url:
        platform = Platform(store, url, lead, ingest, tmp_path)
        for room in rooms:
            room.start()
            added = httpx.post(f"{url}/api/v1/watch/rooms", headers=platform.lead,
                               json={"address": room.url, "label": f"直播间 {room.port}"})
            assert added.status_code == 201, added.text
        try:
            yield platform
        finally:
            for worker in platform.workers:
                if worker.process.poll() is None:
                    worker.process.kill()
                    worker.process.wait()
            for room in rooms:
                room.stop()


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)  # the platform's database
def test_a_killed_workers_room_goes_to_the_other_within_the_lease_and_findings_keep_coming(
    platform: Platform,
) -> None:
    a = platform.start("worker-a", capacity=1)
    a_room = _until("worker A holds a room", lambda: next(
        (room for room, (holder, _) in platform.held().items() if holder == "worker-a"), None), 240, [a])
    b = platform.start("worker-b", capacity=2)
    workers = [a, b]
    b_room = _until("worker B holds the other room", lambda: next(
        (room for room, (holder, _) in platform.held().items() if holder == "worker-b"), None), 240, workers)
    assert {a_room, b_room} == {1, 2}
    _until("findings from both workers", lambda: platform.found_by("worker-a", a_room)
           and platform.found_by("worker-b", b_room), 120, workers)
    assert platform.held()[a_room] == ("worker-a", 1)

    a.process.send_signal(signal.SIGKILL)
    a.process.wait()
    killed, killed_at = time.monotonic(), datetime.now(UTC)
    _until("worker B holds worker A's room", lambda: platform.held().get(a_room, ("", 0))[0] == "worker-b",
           LEASE_S + LEASE_S / 3 + 10, workers)
    took = time.monotonic() - killed
    # the lease lapses at most LEASE_S after A's last heartbeat, and B asks at least every third of it
    assert took <= LEASE_S + LEASE_S / 3 + 3.0, f"the room was taken {took:.1f}s after the kill"
    print(f"worker A's room taken by worker B {took:.1f}s after SIGKILL (lease {LEASE_S:g}s)")
    assert platform.held() == {a_room: ("worker-b", 2), b_room: ("worker-b", 1)}

    later = _until("findings of A's room from worker B, after the kill", lambda: platform.found_by(
        "worker-b", a_room, after=killed_at), 90, workers)
    print(f"first finding of A's room from B {time.monotonic() - killed:.1f}s after SIGKILL; "
          f"A had posted {len(platform.found_by('worker-a', a_room))} from it")
    # 全网最低价 is an absolute term and an unprovable price comparison; 加V信 is traffic diversion
    assert {f["category"] for f in later} <= {"absolute_terms", "price_fraud", "traffic_diversion"}
    assert all(f["provenance"]["lease"]["epoch"] == 2 for f in later)
    assert all(f["stream"] == next(r["address"] for r in platform.rooms() if r["id"] == a_room) for f in later)
    _until("findings of B's own room after the kill", lambda: platform.found_by(
        "worker-b", b_room, after=killed_at), 60, workers)
    with platform.store.session() as s:
        leased = [json.loads(p) for p in s.scalars(select(AuditEventRow.payload)
                                                   .where(AuditEventRow.action == "room.leased"))]
    assert {"room": a_room, "epoch": 2, "from": "worker-a"} in [r for event in leased for r in event["rooms"]]

    b.process.send_signal(signal.SIGTERM)  # a supervisor's stop: B gives its rooms back and exits cleanly
    assert b.process.wait(timeout=120) == 0, b.tail()
    rooms = {r["id"]: r for r in platform.rooms()}
    assert {(r["state"], r["worker"], r["held"]) for r in rooms.values()} == {("stopped", None, False)}
    written = [json.loads(line) for line in (platform.folder / "worker-b.jsonl").read_text().splitlines()]
    assert {f["id"] for f in written} <= {f["id"] for f in platform.findings()}  # every finding B wrote was taken
