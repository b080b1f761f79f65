"""A watched room's connections, and the order the results of its work are taken in across them.

When a live room loses its stream, its reader reopens it at once; the old connection's work still out
(OCR, ASR, claim checks, face windows) finishes meanwhile, and the old connection is closed out (its
captions closed, its label gap paused, its clips cut, its findings handed on) on a thread of its own.
:class:`RoomWork` keeps the room whole across this: each result is taken (:meth:`RoomWork.in_order`)
only once every connection before its own is closed out, one at a time per room, so the room's detectors
see each connection whole and in turn, and its findings come out in the order a room that waited would
have given them, while the new connection is read from the live edge.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from monitor.media.decode import DecodeReport
from monitor.pipeline.clip_evidence import RoomClips

__all__ = ["Connection", "RoomWork"]

log = logging.getLogger(__name__)

IDLE_TICK_S = 0.25
"""Seconds between calls of :meth:`RoomWork.wait_idle`'s ``tick`` while a connection's work is still out."""


@dataclass(slots=True)
class Connection:
    """One opening of a room's stream: its decoding counters, its clips, and how much of its work is out."""

    number: int
    report: DecodeReport = field(default_factory=DecodeReport)
    clips: RoomClips | None = None
    offset: float = 0.0
    """Seconds the room's clock adds to this connection's times."""
    outstanding: int = 0
    opened: bool = False

    def origin(self) -> float:
        """The connection's first timestamp less its offset: room times count from it (for its clips)."""
        return (self.report.start_time or 0.0) - self.offset


class _Work:
    """One piece of a connection's work that is out (see :class:`monitor.pipeline.live_dh.Work`)."""

    __slots__ = ("_connection", "_room")

    def __init__(self, room: RoomWork, connection: Connection) -> None:
        self._room, self._connection = room, connection

    def step(self, then: Callable[[], object]) -> None:
        """Run ``then`` in the room's order; the work stays out."""
        self._room.in_order(self._connection, then)

    def done(self, then: Callable[[], object] | None = None) -> None:
        """Run ``then`` (if any) in the room's order, then count the work as over."""
        self._room.in_order(self._connection, then, ending=True)


class RoomWork:
    """A room's connections, the count of their work that is out, and the one line its results are taken in.

    Results of the connection being taken run at once on the thread that has them (one thread at a time per
    room); results of a later connection wait until the connections before it are closed out (:meth:`close`)
    and then run in the order they came.
    """

    def __init__(self, on_backlog: Callable[[int], None] = lambda n: None) -> None:
        self._lock = threading.Condition()
        self._on_backlog = on_backlog
        self._next = 1
        self._head = 0
        """The number of the connection whose results are taken now."""
        self._waiting: dict[int, tuple[Connection, deque[Callable[[], None]]]] = {}
        """Results not yet taken, by connection number, each connection's in the order they came."""
        self._taking = False
        self.current = Connection(0)
        """The connection the room's reader reads (or last read)."""
        self.taking = self.current
        """The connection whose result (or close-out) is being taken: its findings go to its clips."""
        self.outstanding = 0

    def connect(self) -> Connection:
        """The room's next connection (its first: the one made with the room), the reader's from now on."""
        with self._lock:
            if self.current.opened:
                self.current = Connection(self._next)
                self._next += 1
            self.current.opened = True
            return self.current

    def begin(self) -> _Work:
        """One more piece of the current connection's work is out."""
        with self._lock:
            connection = self.current
            connection.outstanding += 1
            self.outstanding += 1
            self._on_backlog(self.outstanding)
        return _Work(self, connection)

    def in_order(self, connection: Connection, then: Callable[[], object] | None, *, ending: bool = False) -> None:
        """Run ``then`` once the connections before ``connection`` are closed out (``ending``: then count one
        piece of its work as over). Never blocks: a result that must wait is run later by the thread that
        closes out the connection before it."""

        def run() -> None:
            try:
                if then is not None:
                    then()
            finally:
                if ending:
                    self._end(connection)

        with self._lock:
            self._waiting.setdefault(connection.number, (connection, deque()))[1].append(run)
            if self._taking:
                return
            self._taking = True
        self._take()

    def wait_idle(self, connection: Connection, tick: Callable[[], None]) -> None:
        """Wait until none of ``connection``'s work is out, calling ``tick`` every :data:`IDLE_TICK_S` meanwhile."""
        while True:
            with self._lock:
                if self._lock.wait_for(lambda: connection.outstanding == 0, timeout=IDLE_TICK_S):
                    return
            tick()

    def close(self, connection: Connection, close_out: Callable[[], None]) -> None:
        """Once the connections before it are closed out, run ``connection``'s ``close_out`` (its work is all done),
        then take the results of the next connection that waited meanwhile."""
        with self._lock:
            self._lock.wait_for(lambda: self._head == connection.number and not self._taking)
            self._taking = True
            self.taking = connection
        try:
            close_out()
        finally:
            with self._lock:
                self._head = connection.number + 1
            self._take()

    def _end(self, connection: Connection) -> None:
        with self._lock:
            connection.outstanding -= 1
            self.outstanding -= 1
            self._on_backlog(self.outstanding)
            self._lock.notify_all()

    def _take(self) -> None:
        """Run the waiting results of the connection being taken, in order, until there are none."""
        while True:
            with self._lock:
                connection, runs = self._waiting.get(self._head, (None, None))
                if connection is None or not runs:
                    self._waiting.pop(self._head, None)
                    self._taking = False
                    self._lock.notify_all()
                    return
                run = runs.popleft()
                self.taking = connection
            try:
                run()
            except Exception:  # a bug in one result must not stop the room's others; it is logged whole
                log.exception("a result of room work failed")
