"""A running watch's health and Prometheus metrics, served over HTTP (``livemon watch --metrics HOST:PORT``).

``GET /healthz`` answers 200 with the rooms by status while the watch's loop is turning, 503 when it
has not turned for :data:`STALE_S` seconds; every other path answers the Prometheus text format: the
rooms by status, the work waiting, counters of what the rooms read and found (rooms that are over and
forgotten still count), claim-check latency, the C allocator's memory and the process's own figures
(RSS, CPU, open files). No label holds a room's address or anything else a stream carries: a room URL
may hold a token, and the people watched write the rest.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import numpy as np
from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from monitor.engines.native_memory import native_heap
from monitor.errors import ConfigError
from monitor.results import RoomState

__all__ = ["STALE_S", "WatchMetrics", "parse_address"]

STALE_S = 10.0
"""Seconds without a tick after which ``/healthz`` says the watch is stalled."""
STATUSES = ("watching", "reconnecting", "failed", "ended")
_COUNTED = ("utterances", "frames", "findings", "reconnects", "stream_seconds")


def parse_address(address: str) -> tuple[str, int]:
    """``HOST:PORT`` (``:PORT`` is 127.0.0.1); a clear error for anything else."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"--metrics takes HOST:PORT (for example 127.0.0.1:9464), got {address!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


class _Rooms(Collector):
    def __init__(self, metrics: WatchMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        states, totals = self.metrics.snapshot()
        rooms = GaugeMetricFamily("livemon_watch_rooms", "Rooms by status.", labels=["status"])
        for status in STATUSES:
            rooms.add_metric([status], sum(s.status == status for s in states))
        yield rooms
        yield GaugeMetricFamily("livemon_watch_backlog_items", "Utterances, frames and digital-human windows "
                                "handed to the shared models and not done yet.", value=sum(s.backlog for s in states))
        helps = {"utterances": "Utterances heard.", "frames": "Sampled frames read.", "findings": "Findings made.",
                 "reconnects": "Times a lost live stream came back.", "stream_seconds": "Stream seconds read."}
        for name in _COUNTED:
            yield CounterMetricFamily(f"livemon_watch_{name}", helps[name], value=totals[name])
        latency = GaugeMetricFamily("livemon_watch_claim_latency_seconds", "Seconds from the end of an utterance "
                                    "(or a frame's time) to its claim check, over the newest of every room.",
                                    labels=["quantile"])
        latencies = [lat for s in states for kind in s.timings.values() for _, lat in list(kind)]
        if latencies:
            for q in (0.5, 0.95):
                latency.add_metric([str(q)], float(np.quantile(latencies, q)))
        yield latency
        yield GaugeMetricFamily("livemon_watch_last_tick_age_seconds", "Seconds since the watch's loop last turned.",
                                value=self.metrics.tick_age())
        heap = native_heap()
        if heap is not None:
            native = GaugeMetricFamily("livemon_native_heap_bytes", "The C allocator's memory: in use, and freed "
                                       "but held by its arenas.", labels=["kind"])
            native.add_metric(["in_use"], heap.in_use_mib * 2**20)
            native.add_metric(["free"], heap.free_mib * 2**20)
            yield native


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  # the base class's name
        """Scrapes every few seconds would flood the watch's console."""


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class WatchMetrics:
    """Fed the live rooms' states on every tick of the watch; serves them while started."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._states: dict[int, RoomState] = {}
        self._retired = dict.fromkeys(_COUNTED, 0.0)
        self._ticked = clock()
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.registry.register(_Rooms(self))
        self._server: _Server | None = None

    def tick(self, states: Sequence[RoomState]) -> None:
        """The rooms now; a room no longer among them is over, and what it did stays in the counters."""
        current = {id(s): s for s in states}
        with self._lock:
            for key, gone in self._states.items():
                if key not in current:
                    for name in _COUNTED:
                        self._retired[name] += _count(gone, name)
            self._states, self._ticked = current, self._clock()

    def tick_age(self) -> float:
        return max(0.0, self._clock() - self._ticked)

    def snapshot(self) -> tuple[list[RoomState], dict[str, float]]:
        """The live rooms, and each counter over every room seen (live and over)."""
        with self._lock:
            states = list(self._states.values())
            totals = {name: self._retired[name] + sum(_count(s, name) for s in states) for name in _COUNTED}
        return states, totals

    def health(self) -> tuple[int, dict[str, Any]]:
        states, _ = self.snapshot()
        age = self.tick_age()
        body = {"status": "ok" if age < STALE_S else "stalled", "last_tick_s": round(age, 1),
                "rooms": {status: sum(s.status == status for s in states) for status in STATUSES}}
        return (200 if age < STALE_S else 503), body

    def start(self, host: str, port: int) -> tuple[str, int]:
        """Serve on ``host:port`` (port 0: any free one) from a thread; the address it listens on."""
        metrics = make_wsgi_app(self.registry)

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ.get("PATH_INFO") == "/healthz":
                code, body = self.health()
                start_response(f"{code} {'OK' if code == 200 else 'Service Unavailable'}",
                               [("Content-Type", "application/json")])
                return [json.dumps(body).encode("utf-8")]
            return metrics(environ, start_response)  # type: ignore[no-any-return]

        try:
            server_class = _Server6 if ":" in host else _Server
            self._server = make_server(host, port, app, server_class=server_class, handler_class=_QuietHandler)
        except OSError as e:
            raise ConfigError(f"--metrics cannot listen on {host}:{port}: {e.strerror or e}") from e
        threading.Thread(target=self._server.serve_forever, name="livemon-metrics", daemon=True).start()
        return host, self._server.server_port

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> WatchMetrics:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _count(state: RoomState, name: str) -> float:
    return float(state.stream_seconds if name == "stream_seconds" else getattr(state, name))
