"""One worker thread between many rooms and one model: items in, batches out.

``submit(room, item)`` returns a ``Future``. The worker runs ``run_batch(items)`` as
soon as ``max_batch`` items wait, or when the oldest has waited ``max_wait_s``,
taking rooms round-robin (:func:`take_fair_batch`). An exception from ``run_batch``
fails that batch's futures only. The same scheduler serves ASR clips, OCR crops or
classifier texts: it knows nothing of the work.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from monitor.scheduling.metrics import MetricsRecorder, SchedulerMetrics
from monitor.scheduling.policy import take_fair_batch

__all__ = ["BatchScheduler", "SchedulerClosed", "SchedulerOptions"]

T = TypeVar("T")
R = TypeVar("R")


class SchedulerClosed(RuntimeError):
    """``submit`` after ``shutdown``."""


@dataclass(frozen=True, slots=True)
class SchedulerOptions:
    """Batch bounds."""

    max_batch: int = 16
    """Most items per ``run_batch`` call."""
    max_wait_s: float = 0.05
    """Longest an item waits for a batch to fill before a partial batch runs."""

    def __post_init__(self) -> None:
        if self.max_batch < 1:
            raise ValueError(f"max_batch must be ≥ 1, got {self.max_batch}")
        if self.max_wait_s < 0:
            raise ValueError(f"max_wait_s must be ≥ 0, got {self.max_wait_s}")


@dataclass(slots=True)
class _Pending(Generic[T, R]):
    item: T
    enqueued_at: float
    future: Future[R] = field(default_factory=Future)


class BatchScheduler(Generic[T, R]):
    """Batches items from many rooms into calls of ``run_batch``; use as a context manager."""

    def __init__(
        self,
        run_batch: Callable[[list[T]], Sequence[R]],
        options: SchedulerOptions = SchedulerOptions(),
        *,
        name: str = "batch-scheduler",
    ) -> None:
        self.options = options
        self._run_batch = run_batch
        self._queues: dict[Hashable, deque[_Pending[T, R]]] = {}
        self._queued = 0
        self._closed = False
        self._wake = threading.Condition()
        self._metrics = MetricsRecorder()
        self._worker = threading.Thread(target=self._loop, name=name, daemon=True)
        self._worker.start()

    def submit(self, room: Hashable, item: T) -> Future[R]:
        """Queue ``item`` for ``room``; the future holds its result or the batch's exception."""
        pending: _Pending[T, R] = _Pending(item, time.monotonic())
        with self._wake:
            if self._closed:
                raise SchedulerClosed("the scheduler is shut down")
            self._queues.setdefault(room, deque()).append(pending)
            self._queued += 1
            self._wake.notify()
        return pending.future

    def metrics(self) -> SchedulerMetrics:
        with self._wake:
            queued = self._queued
        return self._metrics.snapshot(queued)

    def shutdown(self, wait: bool = True, cancel_pending: bool = False) -> None:
        """Refuse new items; run what is queued (or cancel it), then stop the worker."""
        with self._wake:
            self._closed = True
            if cancel_pending:
                dropped = [p for q in self._queues.values() for p in q]
                self._queues.clear()
                self._queued = 0
                for p in dropped:
                    p.future.cancel()
                self._metrics.cancelled(len(dropped))
            self._wake.notify_all()
        if wait:
            self._worker.join()

    def __enter__(self) -> BatchScheduler[T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def _next_batch(self) -> list[_Pending[T, R]] | None:
        """Block until a batch is due; None when shut down and drained."""
        opts = self.options
        with self._wake:
            while True:
                if self._queued and (self._queued >= opts.max_batch or self._closed):
                    break
                if self._queued:
                    oldest = min(q[0].enqueued_at for q in self._queues.values())
                    left = oldest + opts.max_wait_s - time.monotonic()
                    if left <= 0:
                        break
                    self._wake.wait(left)
                elif self._closed:
                    return None
                else:
                    self._wake.wait()
            batch = take_fair_batch(self._queues, opts.max_batch)
            self._queued -= len(batch)
            return batch

    def _loop(self) -> None:
        while (batch := self._next_batch()) is not None:
            live = [p for p in batch if p.future.set_running_or_notify_cancel()]
            if len(live) < len(batch):
                self._metrics.cancelled(len(batch) - len(live))
            if live:
                self._run(live)
            del batch, live  # not held while the next batch is awaited: their callers may be long gone

    def _run(self, batch: list[_Pending[T, R]]) -> None:
        started = time.monotonic()
        waits = [started - p.enqueued_at for p in batch]
        try:
            results = list(self._run_batch([p.item for p in batch]))
            if len(results) != len(batch):
                raise ValueError(f"run_batch returned {len(results)} results for {len(batch)} items")
        except Exception as e:  # the batch's futures carry any error to their callers
            self._metrics.batch(waits, time.monotonic() - started, failed=True)
            for p in batch:
                p.future.set_exception(e)
            return
        self._metrics.batch(waits, time.monotonic() - started, failed=False)
        for p, result in zip(batch, results, strict=True):
            p.future.set_result(result)
