"""The reconnect policy and the room clock, without media: when a lost room is retried, given up, and where
a new connection's times land."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from tenacity import RetryCallState

from monitor.errors import ForbiddenSource, UnreachableSource
from monitor.pipeline.reconnect import ConnectionLost, ReconnectOptions, reconnecting
from monitor.pipeline.timeline import RoomTimeline

FAST = ReconnectOptions(first_wait_s=0.01, max_wait_s=0.02)


class _Attempts:
    """A reopening that fails with each of ``errors`` in turn, then succeeds."""

    def __init__(self, *errors: Exception) -> None:
        self.errors, self.calls, self.waits = list(errors), 0, 0

    def __call__(self) -> bool:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return True

    def waited(self, state: RetryCallState) -> None:
        self.waits += 1


def test_failed_reopenings_are_retried_until_one_succeeds() -> None:
    attempts = _Attempts(UnreachableSource("refused"), ConnectionLost("ended before media"))
    policy = reconnecting(60.0, FAST, threading.Event(), lambda: 0.0, attempts.waited)
    assert policy(attempts) is True
    assert (attempts.calls, attempts.waits) == (3, 2)


def test_a_refused_address_is_never_retried() -> None:
    attempts = _Attempts(ForbiddenSource("protocol 'file' is not allowed"))
    policy = reconnecting(60.0, FAST, threading.Event(), lambda: 0.0, attempts.waited)
    with pytest.raises(ForbiddenSource):
        policy(attempts)
    assert attempts.calls == 1


def test_the_outage_budget_ends_the_retries_with_the_last_error() -> None:
    attempts = _Attempts(*[UnreachableSource(f"refused {i}") for i in range(100)])
    # each failed attempt stands for 5 s without media: the 20 s budget is spent after the fourth
    policy = reconnecting(20.0, FAST, threading.Event(), lambda: 5.0 * attempts.calls, attempts.waited)
    with pytest.raises(UnreachableSource, match="refused 3"):
        policy(attempts)
    assert (attempts.calls, attempts.waits) == (4, 3)


def test_stop_ends_the_outage() -> None:
    stop = threading.Event()
    stop.set()
    attempts = _Attempts(UnreachableSource("refused"), UnreachableSource("refused"))
    with pytest.raises(UnreachableSource):
        reconnecting(60.0, FAST, stop, lambda: 0.0, attempts.waited)(attempts)
    assert attempts.calls == 1


class _Clocks:
    def __init__(self) -> None:
        self.now = 1000.0

    def wall(self) -> float:
        return 1_700_000_000.0 + self.now

    def monotonic(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (117.0, 17.0),  # the encoder's timestamps went on: 7 s ahead of the last moment read
        (0.0, 15.0),  # the server restarted its timestamps: placed by the 5 s the outage lasted
        (500.0, 15.0),  # too far ahead to be the same encoder's clock
    ],
)
def test_a_new_connection_goes_on_from_the_last_moment_read(start: float, expected: float) -> None:
    clocks = _Clocks()
    timeline = RoomTimeline(wall=clocks.wall, monotonic=clocks.monotonic)
    for t in range(11):
        assert timeline.place(float(t), 100.0) == t
        clocks.now += 1.0
    clocks.now += 4.0  # lost 5 s after the last moment read
    timeline.reconnected()
    assert timeline.place(0.0, start) == pytest.approx(expected)
    assert timeline.place(2.0, start) == pytest.approx(expected + 2.0)


def test_wall_time_is_when_the_moment_was_read() -> None:
    clocks = _Clocks()
    timeline = RoomTimeline(wall=clocks.wall, monotonic=clocks.monotonic)
    assert timeline.wall_time(0.0) is None
    for t in range(5):
        timeline.place(float(t), 0.0)
        clocks.now += 2.0  # read at half speed
    read = datetime.fromisoformat(timeline.wall_time(3.5) or "")
    assert read.timestamp() == pytest.approx(clocks.wall() - 10.0 + 3 * 2.0 + 0.5)
