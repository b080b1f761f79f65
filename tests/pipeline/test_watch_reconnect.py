"""`watch` of live HLS rooms whose server goes down: one comes back (the claim shown after the outage is
found, later on the room's clock, with its wall-clock time), one never does (reported failed after the
outage budget while the other goes on)."""

from __future__ import annotations

import json
import math
from datetime import datetime

import pytest

from monitor.config import ScanOptions
from monitor.demo.live_hls import Caption, LiveHls, make_segments
from monitor.pipeline.engines import Engines
from monitor.pipeline.reconnect import ReconnectOptions
from monitor.pipeline.watch import WatchOptions, watch
from monitor.results import RoomState
from monitor.sinks.jsonl import FindingAppender

BEFORE = Caption("全网最低价", 1.0, 5.0)
AFTER = Caption("加V信 zb8888", 15.0, 21.0)
BACK_OUTAGE = (7.0, 12.0)
"""Seconds on the room's clock (it starts 4 s in) during which the first room's server is down."""
GONE_FROM = 6.0


class Watched:
    def __init__(self, states: list[RoomState], records: list[dict], ticks: list[list[tuple[str, float]]],
                 urls: tuple[str, str]) -> None:
        self.states, self.records, self.ticks, self.urls = states, records, ticks, urls

    def found(self, room: int, category: str) -> list[dict]:
        return [r for r in self.records if r["stream"] == self.urls[room] and r["category"] == category]

    def first(self, room: int, category: str) -> dict:
        found = self.found(room, category)
        assert found, f"room {room} found no {category}"
        return min(found, key=lambda r: r["start"])


@pytest.fixture(scope="module")
def watched(engines: Engines, options: ScanOptions, tmp_path_factory: pytest.TempPathFactory) -> Watched:
    folder = tmp_path_factory.mktemp("live")
    segments = make_segments(folder, 30.0, [BEFORE, AFTER])
    back = LiveHls(folder, segments, outages=[BACK_OUTAGE])
    gone = LiveHls(folder, segments, outages=[(GONE_FROM, math.inf)])
    ticks: list[list[tuple[str, float]]] = []
    out = folder / "findings.jsonl"
    live = options.model_copy(update={
        "faces": False, "max_duration": 24.0, "reconnect_outage": 8.0, "stall_timeout": 4.0, "open_timeout": 4.0,
    })
    with FindingAppender(out) as sink:
        back.start()
        gone.start()
        try:
            states = watch(
                [back.url, gone.url], live, engines, sink, WatchOptions(reconnect=ReconnectOptions(0.2, 1.0)),
                on_tick=lambda rooms: ticks.append([(r.status, r.stream_seconds) for r in rooms]),
            )
        finally:
            back.stop()
            gone.stop()
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return Watched(states, records, ticks, (back.url, gone.url))


def test_a_room_that_comes_back_finds_the_claim_after_the_outage_later_on_its_clock(watched: Watched) -> None:
    back = watched.states[0]
    assert back.error is None and back.status == "ended" and back.reconnects >= 1
    reconnecting = [tick[0][1] for tick in watched.ticks if tick[0][0] == "reconnecting"]
    assert reconnecting, "the room never showed `reconnecting`"
    before_outage = reconnecting[0]
    before, after = watched.first(0, "absolute_terms"), watched.first(0, "traffic_diversion")
    assert before["start"] < before_outage < after["start"]
    # the server's encoder ran on through the outage: the room's clock counts the media it missed
    assert after["start"] - before["start"] == pytest.approx(AFTER.start - BEFORE.start, abs=1.5)


def test_every_finding_carries_its_wall_clock_time(watched: Watched) -> None:
    before, after = watched.first(0, "absolute_terms"), watched.first(0, "traffic_diversion")
    assert datetime.fromisoformat(before["wall_time"]) < datetime.fromisoformat(after["wall_time"])
    assert all(datetime.fromisoformat(r["wall_time"]).tzinfo is not None for r in watched.records)


def test_a_room_that_never_comes_back_fails_after_the_outage_budget_and_the_other_goes_on(
    watched: Watched,
) -> None:
    gone = watched.states[1]
    assert gone.status == "failed" and gone.error is not None
    assert "reconnect_outage 8s" in gone.error and "Connection refused" in gone.error
    assert any(tick[1][0] == "failed" and tick[0][0] == "watching" for tick in watched.ticks)
    assert watched.found(0, "traffic_diversion")


def test_a_refused_address_fails_its_room_at_once_without_reconnecting(engines: Engines, options: ScanOptions) -> None:
    ticks: list[list[str]] = []
    states = watch(["file:///etc/passwd", "concat:/etc/passwd|/etc/hosts"], options, engines, lambda f, s: None,
                   on_tick=lambda rooms: ticks.append([r.status for r in rooms]))
    assert [s.error.split(":")[0] if s.error else None for s in states] == [
        "地址协议不允许 protocol 'file' is not allowed", "地址协议不允许 protocol 'concat' is not allowed",
    ]
    assert not any("reconnecting" in tick for tick in ticks)
