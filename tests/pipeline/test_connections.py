"""A room's results across its connections (``RoomWork``): a later connection's results wait, in the order they
came, until the connection before it is closed out; the current connection's are taken at once."""

from __future__ import annotations

import threading

from monitor.pipeline.connections import RoomWork


def test_a_new_connections_results_wait_until_the_old_one_is_closed_out_and_keep_their_order() -> None:
    taken: list[str] = []
    backlog: list[int] = []
    work = RoomWork(on_backlog=backlog.append)
    old = work.connect()
    held = work.begin()  # the old connection's read still out when the stream is lost
    new = work.connect()
    assert new.number == old.number + 1
    first, second = work.begin(), work.begin()
    first.done(lambda: taken.append("new 1"))
    second.done(lambda: taken.append("new 2"))
    assert taken == [], "the new connection's results were taken before the old one was closed out"

    closer = threading.Thread(target=lambda: (
        work.wait_idle(old, lambda: None),
        work.close(old, lambda: taken.append(f"close {work.taking.number}")),
    ))
    closer.start()
    held.done(lambda: taken.append("old read"))
    closer.join(timeout=30)
    assert not closer.is_alive()
    assert taken == ["old read", f"close {old.number}", "new 1", "new 2"]
    assert backlog[-1] == 0 and max(backlog) == 3


def test_the_current_connections_results_are_taken_at_once() -> None:
    taken: list[int] = []
    work = RoomWork()
    connection = work.connect()
    one = work.begin()
    one.step(lambda: taken.append(1))
    one.done(lambda: taken.append(2))
    assert taken == [1, 2] and connection.outstanding == 0
