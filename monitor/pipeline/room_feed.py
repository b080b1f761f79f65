"""Rooms that come and go while ``watch`` runs: what a feed of rooms (the service's leases) tells the watch.

``watch`` asks its feed about five times a second, handing it the state of every room it runs by the
feed's key; the feed answers with the rooms to start and the keys of those to stop. A room that has
finished is handed over once more (``finished`` set) and then forgotten by the watch. When the watch
stops, the feed is told so first (``stopping``), and handed the rooms once more when they are all over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from monitor.results import RoomState

__all__ = ["RoomFeed", "RoomOrder"]


@dataclass(frozen=True, slots=True)
class RoomOrder:
    """A room to start: the feed's key for it, its address, and what its findings' provenance carries besides."""

    key: str
    spec: str
    provenance: Mapping[str, Any] = field(default_factory=dict)
    vertical: str | None = None
    """What the room sells (a ``prompts/asr`` vertical id): the prompt its speech is read with, unless the
    watch's own ``--vertical`` says otherwise."""


class RoomFeed(Protocol):
    """Where a long-running watch gets its rooms from (see :class:`monitor.sources.service_rooms.ServiceRooms`)."""

    def update(self, rooms: Mapping[str, RoomState], *,
               stopping: bool = False) -> tuple[Sequence[RoomOrder], Sequence[str]]:
        """Given the rooms running (by key), the rooms to start and the keys of the rooms to stop; never blocks.

        ``stopping``: the whole watch is stopping (its rooms end because of that, and nothing more starts).
        """
        ...
