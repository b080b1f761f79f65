"""BatchScheduler with a fake work function: bounds, deadline flush, fairness, errors, shutdown."""

from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import CancelledError
from dataclasses import dataclass

import pytest

from monitor.scheduling import BatchScheduler, SchedulerClosed, SchedulerOptions, percentile, take_fair_batch

TIMEOUT = 10.0  # generous bound on waiting for futures; nothing asserts on timing
NEVER = 3600.0  # a deadline that never fires during a test


class Recorder:
    """Work function that records batches and can hold the worker on a gate."""

    def __init__(self, fail_on: object = None) -> None:
        self.batches: list[list[object]] = []
        self.fail_on = fail_on
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()

    def __call__(self, items: list[object]) -> list[object]:
        self.entered.set()
        self.gate.wait(TIMEOUT)
        self.batches.append(list(items))
        if self.fail_on in items:
            raise RuntimeError(f"bad item {self.fail_on}")
        return [f"done:{i}" for i in items]


def test_full_batches_run_without_waiting_for_the_deadline() -> None:
    work = Recorder()
    with BatchScheduler(work, SchedulerOptions(max_batch=4, max_wait_s=NEVER)) as s:
        futures = [s.submit("room", i) for i in range(8)]
        assert [f.result(TIMEOUT) for f in futures] == [f"done:{i}" for i in range(8)]
    assert work.batches == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_batches_never_exceed_max_batch_and_remainder_flushes_on_shutdown() -> None:
    work = Recorder()
    s = BatchScheduler(work, SchedulerOptions(max_batch=4, max_wait_s=NEVER))
    futures = [s.submit("room", i) for i in range(10)]
    s.shutdown()
    assert [len(b) for b in work.batches] == [4, 4, 2]
    assert all(f.done() for f in futures)
    metrics = s.metrics()
    assert metrics.batch_sizes == {2: 1, 4: 2}
    assert (metrics.batches, metrics.items, metrics.queued) == (3, 10, 0)


def test_deadline_flushes_a_partial_batch() -> None:
    work = Recorder()
    with BatchScheduler(work, SchedulerOptions(max_batch=100, max_wait_s=0.01)) as s:
        futures = [s.submit("room", i) for i in range(3)]
        assert [f.result(TIMEOUT) for f in futures] == ["done:0", "done:1", "done:2"]


def test_exception_fails_only_its_own_batch() -> None:
    work = Recorder(fail_on="bad")
    with BatchScheduler(work, SchedulerOptions(max_batch=2, max_wait_s=NEVER)) as s:
        first = [s.submit("a", x) for x in ("ok1", "ok2")]
        broken = [s.submit("a", x) for x in ("bad", "ok3")]
        last = [s.submit("a", x) for x in ("ok4", "ok5")]
        assert [f.result(TIMEOUT) for f in first + last] == ["done:ok1", "done:ok2", "done:ok4", "done:ok5"]
        for f in broken:
            with pytest.raises(RuntimeError, match="bad item bad"):
                f.result(TIMEOUT)
    assert s.metrics().failed_batches == 1


def test_wrong_result_count_fails_the_batch() -> None:
    with BatchScheduler(lambda items: items[:-1], SchedulerOptions(max_batch=2, max_wait_s=NEVER)) as s:
        futures = [s.submit("a", x) for x in (1, 2)]
        with pytest.raises(ValueError, match="1 results for 2 items"):
            futures[0].result(TIMEOUT)


def test_submit_after_shutdown_is_refused() -> None:
    s: BatchScheduler[int, int] = BatchScheduler(lambda items: items)
    s.shutdown()
    with pytest.raises(SchedulerClosed):
        s.submit("a", 1)


def test_shutdown_can_cancel_what_is_queued() -> None:
    work = Recorder()
    work.gate.clear()
    s = BatchScheduler(work, SchedulerOptions(max_batch=1, max_wait_s=NEVER))
    running = s.submit("a", "first")
    assert work.entered.wait(TIMEOUT)  # the worker holds "first"; the rest stay queued
    queued = [s.submit("a", i) for i in range(3)]
    s.shutdown(wait=False, cancel_pending=True)
    work.gate.set()
    assert running.result(TIMEOUT) == "done:first"
    for f in queued:
        with pytest.raises(CancelledError):
            f.result(TIMEOUT)
    s.shutdown()
    assert s.metrics().cancelled == 3
    assert work.batches == [["first"]]


def test_many_threads_submitting_all_get_their_own_result() -> None:
    with BatchScheduler(lambda items: [x * 2 for x in items], SchedulerOptions(max_batch=8, max_wait_s=0.001)) as s:
        results: dict[tuple[int, int], int] = {}

        def room(r: int) -> None:
            for i in range(50):
                results[(r, i)] = s.submit(r, r * 1000 + i).result(TIMEOUT)

        threads = [threading.Thread(target=room, args=(r,)) for r in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(TIMEOUT)
    assert results == {(r, i): 2 * (r * 1000 + i) for r in range(6) for i in range(50)}
    assert max(s.metrics().batch_sizes) <= 8


@dataclass
class Item:
    name: str
    enqueued_at: float


@pytest.mark.parametrize(
    ("rooms", "max_batch", "expected"),
    [
        # a busy room does not crowd out a quiet one; oldest room first each round
        ({"busy": [0, 1, 2, 3, 4], "quiet": [5]}, 3, ["busy0", "quiet5", "busy1"]),
        ({"late": [9], "early": [1, 2]}, 4, ["early1", "late9", "early2"]),
        ({"a": [0, 1]}, 1, ["a0"]),
        ({}, 4, []),
    ],
)
def test_fair_batch_order(rooms: dict[str, list[int]], max_batch: int, expected: list[str]) -> None:
    queues = {r: deque(Item(f"{r}{t}", float(t)) for t in times) for r, times in rooms.items()}
    assert [i.name for i in take_fair_batch(queues, max_batch)] == expected
    assert all(queues.values())  # emptied rooms are removed


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([], 50, 0.0), ([3.0], 95, 3.0), ([1.0, 2.0, 3.0, 4.0], 50, 2.0), (list(map(float, range(1, 101))), 95, 95.0)],
)
def test_percentile(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == expected


@pytest.mark.parametrize("options", [{"max_batch": 0}, {"max_wait_s": -1.0}])
def test_invalid_options(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        SchedulerOptions(**options)  # type: ignore[arg-type]
