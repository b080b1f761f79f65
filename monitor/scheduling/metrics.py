"""Counters and recent latencies of a scheduler, read as an immutable snapshot."""

from __future__ import annotations

import math
import threading
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["MetricsRecorder", "SchedulerMetrics", "percentile"]


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class SchedulerMetrics:
    """What a scheduler has done so far. Waits and run times are in seconds."""

    batches: int = 0
    items: int = 0
    failed_batches: int = 0
    cancelled: int = 0
    queued: int = 0
    batch_sizes: dict[int, int] = field(default_factory=dict)
    """Batch size → how many batches had it."""
    queue_wait_p50: float = 0.0
    queue_wait_p95: float = 0.0
    run_time_p50: float = 0.0
    run_time_p95: float = 0.0

    @property
    def mean_batch(self) -> float:
        return self.items / self.batches if self.batches else 0.0


class MetricsRecorder:
    """Thread-safe recorder; keeps the last ``window`` waits and run times for percentiles."""

    def __init__(self, window: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._waits: deque[float] = deque(maxlen=window)
        self._runs: deque[float] = deque(maxlen=window)
        self._sizes: Counter[int] = Counter()
        self._failed = 0
        self._cancelled = 0

    def batch(self, waits: Sequence[float], run_time: float, failed: bool) -> None:
        with self._lock:
            self._waits.extend(waits)
            self._runs.append(run_time)
            self._sizes[len(waits)] += 1
            self._failed += failed

    def cancelled(self, count: int) -> None:
        with self._lock:
            self._cancelled += count

    def snapshot(self, queued: int) -> SchedulerMetrics:
        with self._lock:
            waits, runs = list(self._waits), list(self._runs)
            sizes = dict(sorted(self._sizes.items()))
            failed, cancelled = self._failed, self._cancelled
        return SchedulerMetrics(
            batches=sum(sizes.values()),
            items=sum(size * count for size, count in sizes.items()),
            failed_batches=failed,
            cancelled=cancelled,
            queued=queued,
            batch_sizes=sizes,
            queue_wait_p50=percentile(waits, 50),
            queue_wait_p95=percentile(waits, 95),
            run_time_p50=percentile(runs, 50),
            run_time_p95=percentile(runs, 95),
        )
