"""A running watch answers /healthz and Prometheus /metrics; rooms that are over still count; nothing a
stream carries (its address, with a token in it) reaches the metrics."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from monitor.cli import app
from monitor.demo.bad_inputs import BadInputs
from monitor.errors import ConfigError
from monitor.results import RoomState
from monitor.sinks.watch_metrics import STALE_S, WatchMetrics, parse_address

SECRET = "https://cdn.example/live.m3u8?token=s3cret\"}evil"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def served() -> Iterator[tuple[WatchMetrics, Clock, str]]:
    clock = Clock()
    with WatchMetrics(clock) as metrics:
        host, port = metrics.start("127.0.0.1", 0)
        yield metrics, clock, f"http://{host}:{port}"


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8")


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_count_every_room_seen_and_name_none(served: tuple[WatchMetrics, Clock, str]) -> None:
    metrics, _, url = served
    a = RoomState(SECRET, stream_seconds=120.0, utterances=30, findings=4, backlog=3, reconnects=1)
    a.timings["speech"].extend([(10.0, 0.5), (20.0, 1.5)])
    b = RoomState("rtmp://cdn.example/b", stream_seconds=60.0, findings=2, reconnecting=True)
    metrics.tick([a, b])
    metrics.tick([b])  # room a is over and forgotten by the watch: what it did still counts
    status, text = _get(f"{url}/metrics")
    assert status == 200
    got = _samples(text)
    assert got[("livemon_watch_findings_total", ())] == 6
    assert got[("livemon_watch_utterances_total", ())] == 30
    assert got[("livemon_watch_reconnects_total", ())] == 1
    assert got[("livemon_watch_stream_seconds_total", ())] == 180
    assert got[("livemon_watch_rooms", (("status", "reconnecting"),))] == 1
    assert got[("livemon_watch_rooms", (("status", "watching"),))] == 0
    assert got[("livemon_watch_backlog_items", ())] == 0
    assert ("process_resident_memory_bytes", ()) in got and ("livemon_native_heap_bytes", (("kind", "in_use"),)) in got
    assert "s3cret" not in text and "cdn.example" not in text


def test_health_says_ok_while_the_loop_turns_and_stalled_when_it_stops(
    served: tuple[WatchMetrics, Clock, str],
) -> None:
    metrics, clock, url = served
    metrics.tick([RoomState(SECRET), RoomState("b", error="gone")])
    status, body = _get(f"{url}/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok", "last_tick_s": 0.0,
                                                  "rooms": {"watching": 1, "reconnecting": 0, "failed": 1, "ended": 0}}
    clock.now += STALE_S + 1
    status, body = _get(f"{url}/healthz")
    assert status == 503 and json.loads(body)["status"] == "stalled" and "s3cret" not in body


@pytest.mark.parametrize("address", ["9464", "host:port", "127.0.0.1:70000", ""])
def test_a_bad_address_is_one_clear_error(address: str) -> None:
    with pytest.raises(ConfigError, match="HOST:PORT"):
        parse_address(address)


def test_addresses_read_as_expected() -> None:
    assert parse_address(":9464") == ("127.0.0.1", 9464)
    assert parse_address("0.0.0.0:9464") == ("0.0.0.0", 9464)
    assert parse_address("[::1]:9464") == ("::1", 9464)


def test_a_port_in_use_is_one_clear_error() -> None:
    with WatchMetrics() as first:
        host, port = first.start("127.0.0.1", 0)
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            WatchMetrics().start(host, port)


def test_watch_refuses_a_bad_metrics_address_before_loading_models(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["watch", "https://cdn.example/a.m3u8", "--metrics", "nonsense",
                                      "--out", str(tmp_path / "f.jsonl")])
    assert result.exit_code == 2 and "HOST:PORT" in result.output and "Traceback" not in result.output


def test_a_watch_run_from_the_command_line_answers_health_and_metrics_while_it_runs(
    bad: BadInputs, tmp_path: Path,
) -> None:
    with socket.socket() as probe:  # a port free now, for the watch to listen on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    seen: list[tuple[int, str]] = []
    done = threading.Event()

    def scrape() -> None:
        while not done.is_set():
            try:
                seen.append(_get(f"http://127.0.0.1:{port}/healthz"))
                seen.append(_get(f"http://127.0.0.1:{port}/metrics"))
                return
            except OSError:
                time.sleep(0.1)

    scraper = threading.Thread(target=scrape)
    scraper.start()
    try:
        result = CliRunner().invoke(app, ["watch", str(bad.video_only), "--realtime", "--no-faces",
                                          "--metrics", f"127.0.0.1:{port}", "--out", str(tmp_path / "f.jsonl")])
    finally:
        done.set()
        scraper.join()
    assert result.exit_code == 0, result.output
    assert f"http://127.0.0.1:{port}/healthz" in result.output
    assert len(seen) == 2, "nothing answered while the watch ran"
    (health, body), (status, text) = seen
    assert health == 200 and json.loads(body)["status"] == "ok"
    assert status == 200 and "livemon_watch_frames_total" in text
