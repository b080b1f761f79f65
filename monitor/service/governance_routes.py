"""API routes for rooms and their tiers, sanctions, appeals and legal holds (the records the law asks for)."""

# No "from __future__ import annotations": FastAPI reads the routes' annotations, which name local values.
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import case as sql_case
from sqlalchemy import func, select

from monitor.service.appeals import decide_appeal, file_appeal, list_appeals
from monitor.service.auth import Principal, require
from monitor.service.db import Clock, aware
from monitor.service.errors import NotFound
from monitor.service.holds import HOLDERS, lift_hold, list_holds, place_hold, retention_years
from monitor.service.leases import CLAIMERS
from monitor.service.models import AppealDecisionIn, AppealIn, HoldLiftIn, HoldPlaceIn
from monitor.service.rooms import TIER_NAMES, TIERS
from monitor.service.sanctions import list_sanctions
from monitor.store import Store
from monitor.store.governance_schema import RoomRow
from monitor.store.queue_schema import CaseRow

__all__ = ["add_governance_routes"]

RoomKey = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="the room's key: sha256 of its stream")]
_READERS = (*CLAIMERS, "ingest")


def _room_out(room: RoomRow, now: Any) -> dict[str, Any]:
    live = room.live_until is not None and aware(room.live_until) > now
    return {"room": room.stream_key, "stream": room.stream, "tier": room.tier, "tier_name": TIER_NAMES[room.tier],
            "confirmed": room.confirmed, "live": live, "updated_at": aware(room.updated_at).isoformat()}


def add_governance_routes(api: APIRouter, store: Store, clock: Clock, caller: Callable[..., Principal]) -> None:
    """Add the rooms, sanctions, appeals and holds routes to ``api`` (whose routes all need a bearer token)."""
    Caller = Annotated[Principal, Depends(caller)]

    @api.get("/api/v1/rooms")
    def get_rooms(
        who: Caller,
        tier: Annotated[str | None, Query(pattern=f"^({'|'.join(TIERS)})$")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[dict[str, Any]]:
        """Rooms, riskiest tier first."""
        require(who, *CLAIMERS)
        riskiest = sql_case({name: -i for i, name in enumerate(TIERS)}, value=RoomRow.tier)
        query = (select(RoomRow).order_by(riskiest, RoomRow.confirmed.desc(), RoomRow.stream_key)
                 .limit(limit).offset(offset))
        if tier is not None:
            query = query.where(RoomRow.tier == tier)
        now = clock()
        with store.session() as s:
            return [_room_out(r, now) for r in s.scalars(query)]

    @api.get("/api/v1/rooms/{room}")
    def get_room(who: Caller, room: RoomKey) -> dict[str, Any]:
        """A room: its tier, whether it is live, its cases per status, sanctions and legal holds."""
        require(who, *CLAIMERS)
        now = clock()
        with store.session() as s:
            row = s.get(RoomRow, room)
            if row is None:
                raise NotFound("no such room")
            counts = {status: int(n) for status, n in s.execute(
                select(CaseRow.status, func.count()).where(CaseRow.stream_key == room).group_by(CaseRow.status))}
            return {**_room_out(row, now), "cases": counts, "sanctions": list_sanctions(s, now, room=room),
                    "holds": list_holds(s, room=room)}

    @api.get("/api/v1/sanctions")
    def get_sanctions(
        who: Caller,
        room: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")] = None,
        status: Annotated[str | None, Query(pattern="^(active|lifted)$")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[dict[str, Any]]:
        """Sanctions, newest first; ``in_force`` says whether one binds now."""
        require(who, *_READERS)
        with store.session() as s:
            return list_sanctions(s, clock(), room=room, status=status, limit=limit, offset=offset)

    @api.post("/api/v1/sanctions/{sanction_id}/appeals", status_code=201)
    def post_appeal(who: Caller, sanction_id: int, body: AppealIn) -> dict[str, Any]:
        """File an appeal against an active sanction (the platform forwards the sanctioned party's)."""
        with store.session() as s:
            return file_appeal(s, who, sanction_id, body, clock())

    @api.get("/api/v1/appeals")
    def get_appeals(
        who: Caller,
        status: Annotated[str | None, Query(pattern="^(open|upheld|rejected)$")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[dict[str, Any]]:
        require(who, *_READERS)
        with store.session() as s:
            return list_appeals(s, status=status, limit=limit, offset=offset)

    @api.post("/api/v1/appeals/{appeal_id}/decision")
    def post_appeal_decision(who: Caller, appeal_id: int, body: AppealDecisionIn) -> dict[str, Any]:
        """Uphold (lift the sanction) or reject an appeal: a lead or admin who had no part in the sanction."""
        with store.session() as s:
            return decide_appeal(s, who, appeal_id, body, clock())

    @api.get("/api/v1/holds")
    def get_holds(who: Caller, active: bool | None = None) -> dict[str, Any]:
        """Legal holds and the retention period."""
        require(who, *HOLDERS)
        with store.session() as s:
            return {"retention_years": retention_years(s), "holds": list_holds(s, active=active)}

    @api.post("/api/v1/holds", status_code=201)
    def post_hold(who: Caller, body: HoldPlaceIn) -> dict[str, Any]:
        """Place a legal hold on a room: none of its records can be deleted until it is lifted."""
        with store.session() as s:
            return place_hold(s, who, body.stream, body.reason, clock())

    @api.post("/api/v1/holds/{hold_id}/lift")
    def post_hold_lift(who: Caller, hold_id: int, body: HoldLiftIn) -> dict[str, Any]:
        with store.session() as s:
            return lift_hold(s, who, hold_id, body.reason, clock())
