"""Request and response bodies of the rooms handed to ``livemon watch --from`` workers (pydantic, at the edge)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "WORKER_NAME",
    "BeatOut",
    "DroppedRoom",
    "FinishedRoom",
    "GrantedRoom",
    "HeldRoom",
    "RenewedRoom",
    "RoomIn",
    "WorkerBeat",
]

WORKER_NAME = r"^[\w.@:-]{1,128}$"
"""A worker's name (``--worker``; by default the host name and the process id)."""
WorkerName = Annotated[str, Field(pattern=WORKER_NAME)]
LeaseToken = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Detail = Annotated[str, StringConstraints(max_length=500)]
Outcome = Literal["ended", "failed", "refused", "stopped"]
"""How a worker's room ended: the stream ended or failed (offered again after a pause), the worker's address
policy refused it (not offered again until it is added again), or the worker stopped it (offered at once)."""


class RoomIn(BaseModel):
    """A room to add: its stream address (checked against the room-address policy) and a name for people."""

    model_config = ConfigDict(extra="forbid")

    address: str = Field(min_length=1, max_length=2000)
    label: str = Field(default="", max_length=200)
    vertical: str = Field(default="", max_length=40)
    """What the room sells: a ``prompts/asr`` vertical (id, Chinese name or alias; ``""``: none)."""


class HeldRoom(BaseModel):
    """A room a worker holds, as it reports it in a heartbeat (its lease renewed if still its own)."""

    model_config = ConfigDict(extra="forbid")

    room: int = Field(ge=1)
    epoch: int = Field(ge=1)
    lease_token: LeaseToken
    state: Literal["starting", "watching", "reconnecting"] = "watching"
    detail: Detail | None = None
    findings: int = Field(default=0, ge=0)


class FinishedRoom(HeldRoom):
    """A room whose watching ended on the worker: its lease is given back."""

    outcome: Outcome


class WorkerBeat(BaseModel):
    """A worker's heartbeat: the rooms it holds and has finished, and whether it takes more (up to ``capacity``)."""

    model_config = ConfigDict(extra="forbid")

    worker: WorkerName
    capacity: int = Field(ge=0, le=1000)
    running: int = Field(default=0, ge=0, le=10000)
    """Rooms it runs now, those it is still stopping included: no grant takes it past ``capacity``."""
    held: list[HeldRoom] = Field(default_factory=list, max_length=1000)
    finished: list[FinishedRoom] = Field(default_factory=list, max_length=1000)
    claim: bool = True


class RenewedRoom(BaseModel):
    room: int
    epoch: int
    lease_expires: datetime


class DroppedRoom(BaseModel):
    """A room the worker must stop: ``removed`` from the service, or ``lost`` (its lease is no longer the worker's)."""

    room: int
    epoch: int
    reason: Literal["removed", "lost"]
    holder: str | None = None


class GrantedRoom(BaseModel):
    """A room newly leased to the worker; its findings carry ``provenance.lease`` = room, epoch and worker."""

    room: int
    address: str
    label: str
    vertical: str | None = None
    """The room's ``prompts/asr`` vertical id (``None``: none given)."""
    epoch: int
    lease_token: str
    lease_expires: datetime


class BeatOut(BaseModel):
    lease_seconds: float
    heartbeat_seconds: float
    """How often the worker should send a heartbeat (a third of the lease)."""
    renewed: list[RenewedRoom]
    dropped: list[DroppedRoom]
    granted: list[GrantedRoom]
