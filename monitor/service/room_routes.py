"""API routes of the rooms handed to ``livemon watch --from`` workers: add, remove, list, and the workers' heartbeat."""

# No "from __future__ import annotations": FastAPI reads the routes' annotations, which name local values.
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from monitor.service.auth import Principal, require
from monitor.service.db import Clock
from monitor.service.leases import CLAIMERS
from monitor.service.room_leases import RoomLeaseOptions, worker_heartbeat
from monitor.service.room_models import BeatOut, RoomIn, WorkerBeat
from monitor.service.watched_rooms import add_room, list_rooms, list_workers, remove_room
from monitor.sources.policy import SourcePolicy
from monitor.store import Store

__all__ = ["add_room_routes"]

_READERS = (*CLAIMERS, "ingest")


def add_room_routes(api: APIRouter, store: Store, clock: Clock, caller: Callable[..., Principal],
                    policy: SourcePolicy, leases: RoomLeaseOptions) -> None:
    """Add the watch rooms' routes to ``api`` (whose routes all need a bearer token)."""
    Caller = Annotated[Principal, Depends(caller)]

    @api.get("/api/v1/watch/rooms")
    def get_watch_rooms(
        who: Caller,
        removed: bool = False,
        limit: Annotated[int, Query(ge=1, le=1000)] = 500,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        """The rooms workers watch (or, with ``removed``, those removed): each with its holder and last heartbeat;
        and every worker heard from, with its capacity and the rooms it holds."""
        require(who, *_READERS)
        now = clock()
        with store.reading() as s:
            rooms, total = list_rooms(s, now, removed=removed, limit=limit, offset=offset)
            return {"rooms": rooms, "total": total, "workers": list_workers(s, now)}

    @api.post("/api/v1/watch/rooms", status_code=201)
    def post_watch_room(who: Caller, body: RoomIn) -> dict[str, Any]:
        """Add a room (a lead or admin); its address must pass the room-address policy (422 saying why not)."""
        with store.session() as s:
            return add_room(s, who, body.address, body.label, policy, clock(), vertical=body.vertical)

    @api.delete("/api/v1/watch/rooms/{room_id}")
    def delete_watch_room(who: Caller, room_id: int) -> dict[str, Any]:
        """Remove a room (a lead or admin): its worker stops it at its next heartbeat; the row is kept."""
        with store.session() as s:
            return remove_room(s, who, room_id, clock())

    @api.post("/api/v1/watch/heartbeat")
    def post_watch_heartbeat(who: Caller, body: WorkerBeat) -> BeatOut:
        """A worker's heartbeat (an ingest or admin token): renew its rooms, give back those it finished, and
        lease it more up to its capacity."""
        with store.session() as s:
            return worker_heartbeat(s, who, body, clock(), leases)
