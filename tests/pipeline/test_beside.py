"""Work beside the caller (the scan's voice features and speaker turns): in order, bounded, errors not lost."""

from __future__ import annotations

import functools
import threading

import pytest

from monitor.pipeline.beside import Beside


def test_calls_run_in_order_on_one_thread_of_their_own() -> None:
    seen: list[tuple[int, str]] = []
    with Beside("test", limit=100) as beside:
        for i in range(50):
            beside.submit(functools.partial(seen.append, (i, "")))
            beside.submit(lambda: seen.append((-1, threading.current_thread().name)))
        beside.join()
    assert [i for i, _ in seen if i >= 0] == list(range(50))
    names = {name for i, name in seen if i < 0}
    assert len(names) == 1 and threading.current_thread().name not in names


def test_past_the_limit_the_caller_waits_for_the_oldest() -> None:
    release = threading.Event()
    with Beside("test", limit=2) as beside:
        beside.submit(lambda: None if release.wait() else None, 1.0)
        beside.submit(lambda: None, 1.0)
        waited = threading.Event()

        def third() -> None:
            beside.submit(lambda: None, 1.0)
            waited.set()

        caller = threading.Thread(target=third)
        caller.start()
        assert not waited.wait(0.3), "a third call went in past the limit"
        release.set()
        caller.join(5)
        assert waited.is_set()
        beside.join()


def test_an_error_beside_reaches_the_caller() -> None:
    def fail() -> None:
        raise ValueError("pitch track failed")

    with Beside("test", limit=10) as beside:
        beside.submit(fail)
        with pytest.raises(ValueError, match="pitch track failed"):
            beside.join()
