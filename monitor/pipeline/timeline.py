"""A watched room's one clock across reconnects: a stream time that goes on, and the wall-clock time of each moment.

Every connection's decoder counts from 0 at its first frame. :meth:`RoomTimeline.place` turns a
connection's time into the room's: the first connection as it is; a later one by the stream's own
timestamps when they go on from where the last connection stopped (an HLS encoder that kept
running: the media missed during the outage is counted exactly), else placed after the last
moment read by the wall-clock seconds between the two (a server that restarted its timestamps).
Either way a finding after an outage comes later in stream time than everything before it. The
wall-clock time at which each second of room time was read is kept (the newest hour), so every
finding can say when it was on air as well as where it is in the stream.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["RoomTimeline"]

ANCHORS_KEPT = 3600
"""Seconds of room time whose wall-clock time is kept (one anchor per second)."""
TIMESTAMP_SLACK_S = 60.0
"""A new connection's timestamps count as going on from the last ones when they are ahead of them by at
most the outage's wall-clock length plus this (a live playlist is joined a few segments behind its edge)."""


class RoomTimeline:
    """Places each connection's times on the room's clock; read by the room's reader and its findings' workers."""

    def __init__(self, wall: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._wall, self._monotonic = wall, monotonic
        self._lock = threading.Lock()
        self._anchors: deque[tuple[float, float]] = deque(maxlen=ANCHORS_KEPT)
        self._newest: tuple[float, float, float] | None = None
        """(room time, the stream's own timestamp, monotonic time it was read) of the newest moment read."""
        self._new_connection = False
        self.offset = 0.0
        """Seconds added to the current connection's times."""

    def reconnected(self) -> None:
        """The next time placed is a new connection's first."""
        self._new_connection = True

    def place(self, t: float, start: float) -> float:
        """The room time of the current connection's time ``t`` (``start``: the connection's first timestamp,
        which ``t`` counts from), noting when it was read."""
        now = self._monotonic()
        if self._new_connection and self._newest is not None:
            newest, stamp, read_at = self._newest
            ahead = start + t - stamp
            gone = now - read_at
            self.offset = newest + (ahead if 0.0 <= ahead <= gone + TIMESTAMP_SLACK_S else gone) - t
        self._new_connection = False
        room_time = t + self.offset
        with self._lock:
            if not self._anchors or room_time >= self._anchors[-1][0] + 1.0:
                self._anchors.append((room_time, self._wall()))
        if self._newest is None or room_time > self._newest[0]:
            self._newest = (room_time, start + t, now)
        return room_time

    def wall_time(self, room_time: float) -> str | None:
        """When ``room_time`` was read, as UTC ISO 8601 (``None`` before anything was read)."""
        with self._lock:
            anchor = next((a for a in reversed(self._anchors) if a[0] <= room_time), None)
            if anchor is None and self._anchors:
                anchor = self._anchors[0]
        if anchor is None:
            return None
        at = anchor[1] + (room_time - anchor[0])
        return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")
