"""The two measurements: saturated capacity (batched vs one by one) and live rooms in real time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from benchmarks.gpu.traffic import TrafficOptions, room_schedule, speech_buffer, utterance_audio
from monitor.scheduling import BatchScheduler, SchedulerOptions, percentile

__all__ = ["Capacity", "LiveRun", "measure_capacity", "run_live"]

Work = Callable[[list[np.ndarray]], Sequence[object]]


@dataclass(frozen=True, slots=True)
class Capacity:
    """All items submitted at once; how fast they come back."""

    max_batch: int
    items: int
    audio_s: float
    wall_s: float
    mean_batch: float

    @property
    def utterances_per_s(self) -> float:
        return self.items / self.wall_s

    @property
    def x_realtime(self) -> float:
        return self.audio_s / self.wall_s


@dataclass(frozen=True, slots=True)
class LiveRun:
    """Rooms speaking in real time through the scheduler."""

    rooms: int
    seconds: float
    utterances: int
    completed: int
    audio_s: float
    wall_s: float
    latency_p50: float
    latency_p95: float
    latency_max: float
    mean_batch: float
    queue_wait_p95: float
    keeps_up: bool

    @property
    def x_realtime(self) -> float:
        return self.audio_s / self.wall_s if self.wall_s else 0.0


def measure_capacity(work: Work, max_batch: int, items: int, traffic: TrafficOptions) -> Capacity:
    """Submit ``items`` utterances at once through a scheduler bounded by ``max_batch``."""
    buffer = speech_buffer(traffic.seed)
    schedule = room_schedule(items, 30.0, traffic)  # every room ends one utterance within 30 s
    clips = [utterance_audio(buffer, u) for u in schedule[:items]]
    with BatchScheduler(work, SchedulerOptions(max_batch=max_batch, max_wait_s=0.0)) as scheduler:
        started = time.monotonic()
        futures = [scheduler.submit(i % max(1, max_batch), c) for i, c in enumerate(clips)]
        for f in futures:
            f.result()
        wall = time.monotonic() - started
    return Capacity(max_batch, len(clips), sum(c.size for c in clips) / 16_000, wall, scheduler.metrics().mean_batch)


def run_live(
    work: Work, rooms: int, seconds: float, options: SchedulerOptions, traffic: TrafficOptions, max_latency_s: float
) -> LiveRun:
    """Play ``rooms`` rooms for ``seconds`` in real time; wait for the backlog at most ``max_latency_s`` more."""
    buffer = speech_buffer(traffic.seed)
    schedule = room_schedule(rooms, seconds, traffic)
    latencies: list[float] = []
    lock = threading.Lock()
    scheduler = BatchScheduler(work, options)
    started = time.monotonic()

    def done_at(due: float) -> Callable[[Future[object]], None]:
        def record(future: Future[object]) -> None:
            if future.cancelled() or future.exception() is not None:
                return
            with lock:
                latencies.append(time.monotonic() - due)

        return record

    for u in schedule:
        due = started + u.end_s
        time.sleep(max(0.0, due - time.monotonic()))
        scheduler.submit(u.room, utterance_audio(buffer, u)).add_done_callback(done_at(due))
    deadline = started + seconds + max_latency_s
    while time.monotonic() < deadline and len(latencies) < len(schedule):
        time.sleep(0.01)
    wall = time.monotonic() - started
    scheduler.shutdown(wait=True, cancel_pending=True)
    metrics = scheduler.metrics()
    with lock:
        done = list(latencies)
    complete = len(done) == len(schedule)
    p95 = percentile(done, 95)
    return LiveRun(
        rooms=rooms,
        seconds=seconds,
        utterances=len(schedule),
        completed=len(done),
        audio_s=sum(u.duration_s for u in schedule),
        wall_s=wall,
        latency_p50=percentile(done, 50),
        latency_p95=p95,
        latency_max=max(done, default=0.0),
        mean_batch=metrics.mean_batch,
        queue_wait_p95=metrics.queue_wait_p95,
        keeps_up=complete and p95 <= max_latency_s,
    )
