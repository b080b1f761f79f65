"""Rooms leased from a livemon service (``livemon watch --from URL``): the room feed of a watch worker.

A thread sends the service a heartbeat (``POST /api/v1/watch/heartbeat``) every third of the lease: the
rooms this worker holds with their state, the rooms whose watching ended, and its capacity. The answer
says which rooms were granted (started in the running watch), and which the worker must stop
(``removed`` on the service, or ``lost``: another worker holds them now). Every granted address is
untrusted: it is checked against this worker's own room-address policy before the room starts (a
refused one is given back as ``refused``, and never opened), and again by ``open_source`` at every open.

A worker that cannot reach the service keeps watching the rooms it has (their findings wait in the
``--to`` spool) and tries again at the next heartbeat; a room another worker took meanwhile is stopped
when the service answers again, and the service refuses that room's findings made after the take-over.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from monitor.errors import ForbiddenSource
from monitor.pipeline.room_feed import RoomOrder
from monitor.results import RoomState
from monitor.sinks.queue_service import QueueTarget
from monitor.sources.policy import SourcePolicy

__all__ = ["ServiceRooms", "default_worker_name"]

log = logging.getLogger(__name__)

_DETAIL = 500
_VERTICAL = 40


def default_worker_name() -> str:
    """``host:pid``: unique per process, so a restarted worker never takes over its predecessor's leases."""
    host = "".join(ch if ch.isalnum() or ch in ".-_" else "-" for ch in socket.gethostname())[:100] or "worker"
    return f"{host}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class _Lease:
    room: int
    epoch: int
    token: str
    address: str
    vertical: str | None = None

    @property
    def key(self) -> str:
        return f"{self.room}:{self.epoch}"


def _vertical(given: Any) -> str | None:
    """The granted room's vertical as the service sent it (a name, checked by the watch), or ``None``."""
    return given.strip()[:_VERTICAL] or None if isinstance(given, str) else None


def _detail(state: RoomState) -> str | None:
    lost = state.lost if state.reconnecting else None
    text = state.error or lost or (state.warnings[-1] if state.warnings else None)
    return text[:_DETAIL] if text else None


class ServiceRooms:
    """The rooms a service leases to this worker, as a :class:`monitor.pipeline.room_feed.RoomFeed`.

    Use as a context manager: entering starts the heartbeat thread (its first heartbeat at once), leaving
    stops it and gives every room still held back to the service (``stopped``: offered to others at once).
    """

    def __init__(self, target: QueueTarget, worker: str, capacity: int, policy: SourcePolicy, *,
                 heartbeat_s: float | None = None, timeout: float = 10.0) -> None:
        self.target, self.worker, self.capacity, self.policy = target, worker, capacity, policy
        self.heartbeat_s = heartbeat_s
        """Seconds between heartbeats; ``None``: what the service asks for (a third of its lease)."""
        self.last_error: str | None = None
        self.beats = 0
        """Heartbeats the service answered."""
        self._client = httpx.Client(base_url=target.url, headers={"Authorization": f"Bearer {target.token}"},
                                    timeout=httpx.Timeout(timeout, connect=5.0), follow_redirects=False)
        self._lock = threading.Lock()
        self._leases: dict[str, _Lease] = {}
        """Rooms held (granted, running or waiting to start), by key."""
        self._states: dict[str, RoomState] = {}
        self._starts: list[RoomOrder] = []
        self._stops: list[str] = []
        self._finished: dict[str, dict[str, Any]] = {}
        """Rooms over (or refused), with how, until a heartbeat has told the service."""
        self._wait = heartbeat_s or 5.0
        self._stopping = False
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="livemon-rooms", daemon=True)

    # the feed's side, called by the watch

    def update(self, rooms: Mapping[str, RoomState], *,
               stopping: bool = False) -> tuple[Sequence[RoomOrder], Sequence[str]]:
        """Note the rooms' states (those over are given back at the next heartbeat); what to start and stop.

        Once the watch is ``stopping``, no room is taken any more and the rooms that end are given back as
        ``stopped`` (offered to other workers at once)."""
        with self._lock:
            self._stopping = self._stopping or stopping
            self._states = dict(rooms)
            for key, state in rooms.items():
                lease = self._leases.get(key)
                if lease is not None and state.finished:
                    del self._leases[key]
                    outcome = "failed" if state.error else "stopped" if self._stopping else "ended"
                    self._finished[key] = self._report(lease, state, outcome)
            starts, self._starts = self._starts, []
            stops, self._stops = self._stops, []
        return starts, stops

    # the heartbeat

    def __enter__(self) -> ServiceRooms:
        self.beat()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the heartbeats and give every room still held back to the service (one last heartbeat)."""
        self._closing.set()
        if self._thread.is_alive():
            self._thread.join()
        with self._lock:
            for key, lease in self._leases.items():
                self._finished[key] = self._report(lease, self._states.get(key), "stopped")
            self._leases.clear()
            self._starts.clear()
        self.beat(claim=False)
        self._client.close()

    def _run(self) -> None:
        while not self._closing.wait(self._wait):
            self.beat()

    def beat(self, *, claim: bool = True) -> bool:
        """One heartbeat; False (and why, in ``last_error``) when the service could not be reached or refused."""
        with self._lock:
            held = [self._held(lease) for lease in self._leases.values()]
            finished = dict(self._finished)
            running = sum(1 for state in self._states.values() if not state.finished) + len(self._starts)
            claim = claim and not self._stopping and not self._closing.is_set()
        body = {"worker": self.worker, "capacity": self.capacity, "running": running, "held": held,
                "finished": list(finished.values()), "claim": claim}
        try:
            response = self._client.post("/api/v1/watch/heartbeat", json=body)
        except httpx.HTTPError as e:
            return self._failed(f"cannot reach {self.target.url}: {e.__class__.__name__}: {e}")
        if response.status_code != 200:
            return self._failed(f"{self.target.url} answered {response.status_code} to the heartbeat: "
                                f"{response.text[:300]}")
        try:
            answer = response.json()
            self._apply(answer, finished)
        except (ValueError, KeyError, TypeError) as e:
            return self._failed(f"{self.target.url} sent an answer that is not a heartbeat's: {e}")
        self.last_error = None
        self.beats += 1
        return True

    def _failed(self, why: str) -> bool:
        if why != self.last_error:
            log.warning("heartbeat failed, rooms kept, trying again: %s", why)
        self.last_error = why
        return False

    def _apply(self, answer: Mapping[str, Any], sent: Mapping[str, dict[str, Any]]) -> None:
        with self._lock:
            for key in sent:
                self._finished.pop(key, None)
            for dropped in answer["dropped"]:
                key = f"{int(dropped['room'])}:{int(dropped['epoch'])}"
                lease = self._leases.pop(key, None)
                if lease is None:
                    continue
                log.warning("room %s (%s) is %s; stopping it", lease.room, lease.address,
                            "removed on the service" if dropped["reason"] == "removed"
                            else f"held by {dropped.get('holder') or 'another worker'} now")
                waiting = [order for order in self._starts if order.key == key]
                self._starts = [order for order in self._starts if order.key != key]
                if not waiting:
                    self._stops.append(key)
            for granted in answer["granted"]:
                lease = _Lease(int(granted["room"]), int(granted["epoch"]), str(granted["lease_token"]),
                               str(granted["address"]), _vertical(granted.get("vertical")))
                self._take(lease)
            if self.heartbeat_s is None:
                self._wait = max(0.5, float(answer["heartbeat_seconds"]))

    def _take(self, lease: _Lease) -> None:
        """Start a granted room, unless this worker's policy refuses its address (then it is given back)."""
        try:
            if not lease.address.strip() or lease.address != lease.address.strip():
                raise ForbiddenSource("地址含空白 the address has surrounding spaces or is empty", source=lease.address)
            self.policy.check(lease.address)
        except ForbiddenSource as e:
            log.error("room %s refused by this worker's address policy: %s", lease.room, e)
            self._finished[lease.key] = self._report(lease, None, "refused", detail=str(e))
            return
        self._leases[lease.key] = lease
        self._starts.append(RoomOrder(lease.key, lease.address, {
            "lease": {"room": lease.room, "epoch": lease.epoch, "worker": self.worker}}, vertical=lease.vertical))

    def _held(self, lease: _Lease) -> dict[str, Any]:
        state = self._states.get(lease.key)
        if state is None:
            return {"room": lease.room, "epoch": lease.epoch, "lease_token": lease.token, "state": "starting"}
        return {"room": lease.room, "epoch": lease.epoch, "lease_token": lease.token,
                "state": "reconnecting" if state.reconnecting else "watching", "detail": _detail(state),
                "findings": state.findings}

    @staticmethod
    def _report(lease: _Lease, state: RoomState | None, outcome: str, detail: str | None = None) -> dict[str, Any]:
        return {"room": lease.room, "epoch": lease.epoch, "lease_token": lease.token, "outcome": outcome,
                "detail": (detail[:_DETAIL] if detail else None) or (_detail(state) if state else None),
                "findings": state.findings if state else 0}
