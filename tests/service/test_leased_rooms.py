"""Rooms for ``watch --from`` workers, on SQLite and PostgreSQL: adding and removing (policy, roles, audit),
leases with capacity, expiry and heartbeats, removal seen at the next heartbeat, rooms given back, and the
epoch fence on findings."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor.service import ServiceOptions, create_app
from monitor.service.auth import Principal
from monitor.service.room_leases import RoomLeaseOptions, worker_heartbeat
from monitor.service.room_models import WorkerBeat
from monitor.sources.policy import SourcePolicy
from monitor.store.queue_schema import AuditEventRow, IngestedFindingRow
from monitor.store.rooms_schema import RoomLeaseRow
from tests.service.queue_helpers import Service, finding

ROOMS = "/api/v1/watch/rooms"
BEAT = "/api/v1/watch/heartbeat"
LEASE_S = 30.0


def _add(service: Service, address: str, who: str = "lin", label: str = "") -> Any:
    return service.post(who, ROOMS, {"address": address, "label": label})


def _beat(service: Service, worker: str, capacity: int = 4, held: list[dict[str, Any]] | None = None,
          finished: list[dict[str, Any]] | None = None, running: int = 0, claim: bool = True) -> dict[str, Any]:
    response = service.post("ingest", BEAT, {"worker": worker, "capacity": capacity, "running": running,
                                             "held": held or [], "finished": finished or [], "claim": claim})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _held(grants: list[dict[str, Any]], **extra: Any) -> list[dict[str, Any]]:
    return [{"room": g["room"], "epoch": g["epoch"], "lease_token": g["lease_token"], **extra} for g in grants]


def _actions(service: Service) -> list[str]:
    with service.store.session() as s:
        return list(s.scalars(select(AuditEventRow.action).order_by(AuditEventRow.seq)))


def _rooms(service: Service, n: int) -> list[str]:
    addresses = [f"https://cdn.example.com/live/room-{i}.m3u8" for i in range(n)]
    for address in addresses:
        assert _add(service, address).status_code == 201
    return addresses


def test_a_lead_adds_a_room_and_everyone_may_list_it(service: Service) -> None:
    answer = _add(service, "  https://cdn.example.com/live/a.m3u8 ", label="美妆专场")
    assert answer.status_code == 201, answer.text
    room = answer.json()
    assert (room["address"], room["label"], room["state"], room["worker"], room["epoch"]) == (
        "https://cdn.example.com/live/a.m3u8", "美妆专场", "waiting", None, 0)
    assert _actions(service)[-1] == "room.added"
    for who in ("ana", "lin", "root", "ingest"):
        listed = service.get(who, ROOMS)
        assert listed.status_code == 200
        assert [r["id"] for r in listed.json()["rooms"]] == [room["id"]]


def test_a_rooms_vertical_is_checked_against_the_asr_prompts_and_reaches_its_worker(service: Service) -> None:
    added = service.post("lin", ROOMS, {"address": "https://cdn.example.com/live/tea.m3u8", "vertical": "茶叶"})
    assert added.status_code == 201, added.text
    assert added.json()["vertical"] == "tea"  # the Chinese name is stored as the prompt's id
    plain = _add(service, "https://cdn.example.com/live/plain.m3u8")
    assert plain.json()["vertical"] is None
    unknown = service.post("lin", ROOMS, {"address": "https://cdn.example.com/live/x.m3u8", "vertical": "火锅底料"})
    assert unknown.status_code == 422 and "未知的行业" in unknown.text and "tea（茶叶）" in unknown.text
    assert [r["address"] for r in service.get("lin", ROOMS).json()["rooms"]] == [
        "https://cdn.example.com/live/tea.m3u8", "https://cdn.example.com/live/plain.m3u8"]  # nothing half-added
    granted = {g["address"]: g["vertical"] for g in _beat(service, "w1")["granted"]}
    assert granted == {"https://cdn.example.com/live/tea.m3u8": "tea", "https://cdn.example.com/live/plain.m3u8": None}


@pytest.mark.parametrize("who", ["ana", "ingest"])
def test_reviewers_and_ingest_tokens_may_not_add_or_remove_rooms(service: Service, who: str) -> None:
    room = _add(service, "https://cdn.example.com/live/a.m3u8").json()
    events = service.audit_events()
    assert _add(service, "https://cdn.example.com/live/b.m3u8", who=who).status_code == 403
    assert service.client.delete(f"{ROOMS}/{room['id']}", headers=service.auth(who)).status_code == 403
    assert service.audit_events() == events
    assert service.get("lin", ROOMS).json()["total"] == 1


def test_every_room_route_needs_a_token(service: Service) -> None:
    for method, url in (("GET", ROOMS), ("POST", ROOMS), ("DELETE", f"{ROOMS}/1"), ("POST", BEAT)):
        assert service.client.request(method, url, json={}).status_code == 401


@pytest.mark.parametrize(("address", "why"), [
    ("file:///etc/passwd", "protocol 'file' is not allowed"),
    ("concat:/etc/passwd|/etc/hosts", "protocol 'concat' is not allowed"),
    ("/srv/recordings/room.mp4", "protocol 'file' is not allowed"),
    ("subfile,,start,0,end,100,,:/etc/passwd", "is not allowed"),
    ("data:text/plain;base64,AAAA", "protocol 'data' is not allowed"),
    ("hls+http://cdn.example.com/a.m3u8", "protocol 'hls+http' is not allowed"),
    ("https://cdn.example.com/live a.m3u8", "空白"),
    ("https:///live/a.m3u8", "地址没有主机"),
])
def test_an_address_the_policy_refuses_is_not_added(service: Service, address: str, why: str) -> None:
    events = service.audit_events()
    answer = _add(service, address)
    assert answer.status_code == 422
    assert why in answer.json()["detail"]
    assert service.audit_events() == events
    assert service.get("lin", ROOMS).json()["total"] == 0


def test_the_operators_hosts_bound_what_may_be_added(service: Service) -> None:
    app = create_app(service.store, ServiceOptions(room_policy=SourcePolicy(hosts=("*.example.com",))),
                     service.clock)
    with TestClient(app) as client:
        headers = service.auth("lin")
        refused = client.post(ROOMS, json={"address": "https://evil.example.org/a.m3u8"}, headers=headers)
        assert refused.status_code == 422 and "host 'evil.example.org' is not allowed" in refused.json()["detail"]
        assert client.post(ROOMS, json={"address": "rtmp://pull.example.com/live/a"}, headers=headers
                           ).status_code == 201


def test_a_room_is_added_once_and_a_removed_one_comes_back_under_its_id(service: Service) -> None:
    room = _add(service, "https://cdn.example.com/live/a.m3u8").json()
    assert _add(service, "https://cdn.example.com/live/a.m3u8").status_code == 409
    grant = _beat(service, "w1")["granted"][0]
    removed = service.client.delete(f"{ROOMS}/{room['id']}", headers=service.auth("lin"))
    assert removed.status_code == 200 and removed.json()["state"] == "removed"
    assert service.client.delete(f"{ROOMS}/{room['id']}", headers=service.auth("lin")).status_code == 409
    assert service.client.delete(f"{ROOMS}/999", headers=service.auth("lin")).status_code == 404
    assert service.get("lin", ROOMS).json()["total"] == 0
    assert service.get("lin", ROOMS, removed=True).json()["rooms"][0]["removed_by"] == "lin"
    again = _add(service, "https://cdn.example.com/live/a.m3u8").json()
    assert again["id"] == room["id"] and again["state"] == "waiting"
    regrant = _beat(service, "w2")["granted"][0]
    assert regrant["epoch"] == grant["epoch"] + 1  # epochs go on: the old lease stays fenced
    assert _actions(service).count("room.added") == 2 and "room.removed" in _actions(service)


def test_a_worker_gets_rooms_up_to_its_capacity_and_the_next_worker_the_rest(service: Service) -> None:
    _rooms(service, 5)
    first = _beat(service, "w1", capacity=3)
    assert sorted(g["room"] for g in first["granted"]) == [1, 2, 3]
    assert first["lease_seconds"] == LEASE_S and first["heartbeat_seconds"] == LEASE_S / 3
    again = _beat(service, "w1", capacity=3, held=_held(first["granted"]), running=3)
    assert again["granted"] == [] and len(again["renewed"]) == 3
    second = _beat(service, "w2", capacity=3)
    assert sorted(g["room"] for g in second["granted"]) == [4, 5]
    listed = service.get("lin", ROOMS).json()
    assert Counter(r["worker"] for r in listed["rooms"]) == {"w1": 3, "w2": 2}
    assert {w["worker"]: (w["capacity"], w["held"]) for w in listed["workers"]} == {"w1": (3, 3), "w2": (3, 2)}


def test_rooms_still_running_count_against_the_capacity(service: Service) -> None:
    _rooms(service, 3)
    assert _beat(service, "w1", capacity=2, running=1)["granted"][0]["room"] == 1
    assert len(_beat(service, "w2", capacity=2, running=2)["granted"]) == 0


def test_a_dead_workers_rooms_go_to_another_after_the_lease_and_it_is_told_it_lost_them(service: Service) -> None:
    _rooms(service, 2)
    grants = _beat(service, "w1")["granted"]
    service.clock.advance(seconds=LEASE_S - 1)
    assert _beat(service, "w2")["granted"] == []  # still w1's
    service.clock.advance(seconds=2)
    taken = _beat(service, "w2")["granted"]
    assert sorted((g["room"], g["epoch"]) for g in taken) == [(1, 2), (2, 2)]
    late = _beat(service, "w1", held=_held(grants))
    assert late["renewed"] == [] and late["granted"] == []
    assert [(d["room"], d["reason"], d["holder"]) for d in late["dropped"]] == [(1, "lost", "w2"), (2, "lost", "w2")]
    with service.store.session() as s:
        leases = s.execute(select(RoomLeaseRow.room_id, RoomLeaseRow.epoch, RoomLeaseRow.worker,
                                  RoomLeaseRow.end_reason).order_by(RoomLeaseRow.room_id, RoomLeaseRow.epoch)).all()
        leased = s.scalars(select(AuditEventRow.payload).where(AuditEventRow.action == "room.leased")
                           .order_by(AuditEventRow.seq)).all()
    assert [tuple(row) for row in leases] == [(1, 1, "w1", "taken"), (1, 2, "w2", None),
                                              (2, 1, "w1", "taken"), (2, 2, "w2", None)]
    assert '"from":"w1"' in leased[-1]


def test_heartbeats_keep_a_room_and_a_lapsed_lease_no_one_took_is_renewed(service: Service) -> None:
    _rooms(service, 1)
    grants = _beat(service, "w1")["granted"]
    for _ in range(5):
        service.clock.advance(seconds=LEASE_S / 2)
        beat = _beat(service, "w1", held=_held(grants, state="watching", findings=3), running=1)
        assert [r["room"] for r in beat["renewed"]] == [1]
        assert _beat(service, "w2")["granted"] == []
    service.clock.advance(seconds=LEASE_S * 2)  # w1 was away; no one took the room
    assert [r["room"] for r in _beat(service, "w1", held=_held(grants), running=1)["renewed"]] == [1]
    room = service.get("lin", ROOMS).json()["rooms"][0]
    assert (room["worker"], room["held"], room["state"], room["epoch"]) == ("w1", True, "watching", 1)
    assert room["heartbeat_at"] == service.clock().isoformat()


def test_a_heartbeat_with_a_wrong_token_or_worker_renews_nothing(service: Service) -> None:
    _rooms(service, 1)
    grant = _beat(service, "w1")["granted"][0]
    forged = [{"room": 1, "epoch": grant["epoch"], "lease_token": "not-the-token"}]
    assert _beat(service, "w1", held=forged)["dropped"][0]["reason"] == "lost"
    assert _beat(service, "w2", held=_held([grant]))["dropped"][0] == {
        "room": 1, "epoch": 1, "reason": "lost", "holder": "w1"}


def test_a_removed_room_is_dropped_at_its_workers_next_heartbeat_and_offered_to_no_one(service: Service) -> None:
    _rooms(service, 2)
    grants = _beat(service, "w1")["granted"]
    assert service.client.delete(f"{ROOMS}/1", headers=service.auth("root")).status_code == 200
    beat = _beat(service, "w1", held=_held(grants), running=2)
    assert [(d["room"], d["reason"]) for d in beat["dropped"]] == [(1, "removed")]
    assert [r["room"] for r in beat["renewed"]] == [2]
    service.clock.advance(hours=1)
    assert _beat(service, "w2")["granted"][0]["room"] == 2  # room 2's lease lapsed; room 1 is gone


def test_rooms_given_back_are_offered_again_as_their_outcome_says(service: Service) -> None:
    _rooms(service, 3)
    grants = _beat(service, "w1")["granted"]
    outcomes = [{**h, "outcome": outcome, "detail": "直播流中断", "findings": 2}
                for h, outcome in zip(_held(grants), ("failed", "refused", "stopped"), strict=True)]
    assert _beat(service, "w1", finished=outcomes, claim=False)["granted"] == []
    stopped = _beat(service, "w2")["granted"]
    assert [g["room"] for g in stopped] == [3]  # stopped: at once
    service.clock.advance(seconds=20)
    assert _beat(service, "w2", held=_held(stopped), running=1)["granted"] == []
    service.clock.advance(seconds=41)
    assert [g["room"] for g in _beat(service, "w2", held=_held(stopped), running=1)["granted"]] == [1]  # failed:
    service.clock.advance(hours=2)  # after the pause
    assert 2 not in [g["room"] for g in _beat(service, "w3")["granted"]]
    refused = next(r for r in service.get("lin", ROOMS).json()["rooms"] if r["id"] == 2)
    assert (refused["state"], refused["detail"], refused["worker"]) == ("refused", "直播流中断", None)
    assert _add(service, refused["address"]).status_code == 201  # added again: offered again
    assert [g["room"] for g in _beat(service, "w4")["granted"]] == [2]
    assert "room.released" in _actions(service)


def _leased(fid: str, grant: dict[str, Any], worker: str, at: Any, **extra: Any) -> dict[str, Any]:
    extra.setdefault("stream", grant["address"])
    return finding(fid, wall_time=at.isoformat() if at is not None else None,
                   provenance={"live": True, "lease": {"room": grant["room"], "epoch": grant["epoch"],
                                                       "worker": worker}}, **extra)


def test_findings_are_fenced_by_the_lease_they_were_found_under(service: Service) -> None:
    _rooms(service, 1)
    grant = _beat(service, "w1")["granted"][0]
    found = service.clock()
    assert service.post("ingest", "/api/v1/findings", [_leased("held", grant, "w1", found)]).json()["new"] == 1
    service.clock.advance(seconds=LEASE_S + 1)
    takeover = service.clock()
    taken = _beat(service, "w2")["granted"][0]
    service.clock.advance(seconds=5)
    late = service.post("ingest", "/api/v1/findings", [
        _leased("spooled", grant, "w1", found + timedelta(seconds=10), start=40.0),  # found while it held the room
        _leased("after", grant, "w1", takeover + timedelta(seconds=1), start=80.0),  # found after the take-over
        _leased("no-clock", grant, "w1", None, start=120.0),
        _leased("other-worker", taken, "w1", takeover + timedelta(seconds=2), start=160.0),
        _leased("other-room", taken, "w2", takeover + timedelta(seconds=2), start=200.0,
                stream="https://cdn.example.com/live/another.m3u8"),
        _leased("new-holder", taken, "w2", takeover + timedelta(seconds=2), start=240.0),
        finding("plain", stream=grant["address"], start=280.0),
    ])
    assert late.status_code == 200, late.text
    answer = late.json()
    assert answer["fenced"] == ["after", "no-clock", "other-worker", "other-room"]
    assert (answer["received"], answer["new"], answer["duplicates"]) == (7, 3, 0)
    with service.store.session() as s:
        kept = set(s.scalars(select(IngestedFindingRow.finding_id)))
    assert kept == {"held", "spooled", "new-holder", "plain"}
    assert service.post("ingest", "/api/v1/findings", [_leased("after", grant, "w1", takeover)]).json() == {
        "received": 1, "new": 0, "duplicates": 0, "cases": [], "fenced": ["after"]}
    assert _actions(service)[-1] == "findings.fenced"


def test_findings_of_a_removed_room_after_its_removal_are_fenced(service: Service) -> None:
    _rooms(service, 1)
    grant = _beat(service, "w1")["granted"][0]
    before = service.clock()
    service.clock.advance(seconds=3)
    service.client.delete(f"{ROOMS}/1", headers=service.auth("lin"))
    answer = service.post("ingest", "/api/v1/findings", [
        _leased("before", grant, "w1", before), _leased("after", grant, "w1", service.clock(), start=90.0)]).json()
    assert (answer["new"], answer["fenced"]) == (1, ["after"])


@pytest.mark.parametrize("lease", [
    {"room": 1, "epoch": 1}, {"room": "1", "epoch": 1, "worker": "w1"}, {"room": 1, "epoch": 0, "worker": "w1"},
    {"room": 1, "epoch": 1, "worker": "<script>"}, "1:1", {"room": True, "epoch": 1, "worker": "w1"},
])
def test_a_malformed_lease_refuses_the_batch(service: Service, lease: Any) -> None:
    events = service.audit_events()
    answer = service.post("ingest", "/api/v1/findings", [finding("ok"), finding("x", provenance={"lease": lease})])
    assert answer.status_code == 422 and "provenance.lease" in answer.text
    assert service.audit_events() == events


@pytest.mark.parametrize("body", [
    {"worker": "w 1", "capacity": 1}, {"worker": "w1", "capacity": -1}, {"worker": "w1", "capacity": 1, "x": 1},
    {"worker": "w1", "capacity": 1, "held": [{"room": 1, "epoch": 1}]},
    {"worker": "w1", "capacity": 1, "finished": [{"room": 1, "epoch": 1, "lease_token": "t", "outcome": "gone"}]},
])
def test_a_malformed_heartbeat_is_refused(service: Service, body: dict[str, Any]) -> None:
    assert service.post("ingest", BEAT, body).status_code == 422


def test_only_ingest_and_admin_tokens_lease_rooms(service: Service) -> None:
    _rooms(service, 1)
    for who in ("ana", "lin"):
        assert service.post(who, BEAT, {"worker": "w1", "capacity": 1}).status_code == 403
    assert service.post("root", BEAT, {"worker": "w1", "capacity": 1}).json()["granted"][0]["room"] == 1


def test_the_openapi_schema_lists_the_room_routes(service: Service) -> None:
    paths = service.get("ana", "/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths[ROOMS]) and "delete" in paths[ROOMS + "/{room_id}"]
    assert "post" in paths[BEAT]


def test_concurrent_workers_never_share_a_room_or_pass_their_capacity(service: Service) -> None:
    """16 workers of capacity 3 race for 40 rooms over several rounds (on PostgreSQL: SKIP LOCKED)."""
    _rooms(service, 40)
    options = RoomLeaseOptions(lease=timedelta(seconds=LEASE_S))
    held: dict[str, list[dict[str, Any]]] = {f"w{i}": [] for i in range(16)}
    errors: list[BaseException] = []

    def work(worker: str) -> None:
        try:
            for _ in range(3):
                beat = WorkerBeat.model_validate({"worker": worker, "capacity": 3, "running": len(held[worker]),
                                                  "held": _held(held[worker])})
                with service.store.session() as s:
                    out = worker_heartbeat(s, Principal(1, "ingest", None), beat, service.clock(), options)
                held[worker] += [g.model_dump() for g in out.granted]
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in held]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rooms = [g["room"] for grants in held.values() for g in grants]
    assert len(rooms) == len(set(rooms)) == 40
    assert max(len(grants) for grants in held.values()) <= 3
    listed = service.get("lin", ROOMS).json()["rooms"]
    assert {r["id"]: r["worker"] for r in listed} == {g["room"]: w for w, grants in held.items() for g in grants}
