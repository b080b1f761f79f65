"""Samples a watch while it runs: the process's memory, and each room's state, backlog and place in its stream.

Called from ``watch``'s ``on_tick`` (about five times a second); keeps one sample every ``every_s``.
RSS is read from ``/proc/self/statm``; the Python heap as ``sys.getallocatedblocks()``; the C allocator's
memory in use and freed-but-held from glibc (:func:`monitor.engines.native_memory.native_heap`). All cheap.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from monitor.engines.native_memory import native_heap
from monitor.results import RoomState

__all__ = ["RoomSample", "Sample", "Sampler", "rss_mib"]

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    """The process's resident set size in MiB (Linux)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * _PAGE / 2**20


@dataclass(frozen=True, slots=True)
class RoomSample:
    status: str
    stream_s: float
    backlog: int
    reconnects: int
    findings: int
    server_s: float
    """The room's server clock: the stream time its newest published segment reaches."""


@dataclass(frozen=True, slots=True)
class Sample:
    t: float
    """Seconds since the rooms started."""
    rss_mib: float
    heap_blocks: int
    native_in_use_mib: float | None
    """Allocated through the C allocator and not freed (``None`` off glibc)."""
    native_free_mib: float | None
    """Freed, but held by the C allocator's arenas."""
    threads: int
    load_1min: float
    rooms: tuple[RoomSample, ...]


class Sampler:
    """Keeps a :class:`Sample` every ``every_s`` seconds of the ticks it is given."""

    def __init__(self, specs: Sequence[str], clocks: Sequence[Callable[[], float]], every_s: float = 5.0) -> None:
        self._specs, self._clocks, self.every_s = list(specs), list(clocks), every_s
        self.samples: list[Sample] = []
        self._started = time.monotonic()
        self._next = 0.0
        self._lock = threading.Lock()

    def start(self) -> None:
        self._started, self._next = time.monotonic(), 0.0

    def tick(self, states: Sequence[RoomState]) -> None:
        t = time.monotonic() - self._started
        if t < self._next:
            return
        self._next = t + self.every_s
        by_spec = {s.spec: s for s in states}
        rooms = tuple(
            RoomSample(s.status, round(s.stream_seconds, 2), s.backlog, s.reconnects, s.findings, round(clock(), 2))
            if (s := by_spec.get(spec)) is not None else RoomSample("ended", 0.0, 0, 0, 0, round(clock(), 2))
            for spec, clock in zip(self._specs, self._clocks, strict=True)
        )
        native = native_heap()
        sample = Sample(round(t, 2), round(rss_mib(), 2), sys.getallocatedblocks(),
                        native.in_use_mib if native else None, native.free_mib if native else None,
                        threading.active_count(), os.getloadavg()[0], rooms)
        with self._lock:
            self.samples.append(sample)
