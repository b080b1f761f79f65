"""The console's rooms page (SQLite and PostgreSQL): leads and admins add and remove rooms (policy, CSRF, roles),
everyone sees who holds each room and its last heartbeat; hostile addresses and names stay text."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.service.console_helpers import csrf_of, login
from tests.service.queue_helpers import Service

ADDRESS = "https://cdn.example.com/live/美妆专场.m3u8"


def _add(client: TestClient, address: str, label: str = "", csrf: str | None = None) -> Any:
    page = client.get("/console/rooms")
    return client.post("/console/rooms", data={"address": address, "label": label,
                                               "csrf": csrf if csrf is not None else csrf_of(page.text)},
                       follow_redirects=False)


def _room_ids(service: Service) -> list[int]:
    return [r["id"] for r in service.get("lin", "/api/v1/watch/rooms").json()["rooms"]]


def test_a_lead_adds_a_room_and_sees_it_held_with_its_heartbeat(service: Service) -> None:
    lead = login(service.client.app, "lin")
    page = lead.get("/console/rooms")
    assert page.status_code == 200 and "添加直播间" in page.text and "还没有直播间" in page.text
    added = _add(lead, ADDRESS, "美妆专场")
    assert added.status_code == 303 and added.headers["location"] == "/console/rooms?notice=added"
    beat = service.post("ingest", "/api/v1/watch/heartbeat", {"worker": "gpu-01:4242", "capacity": 2})
    assert beat.json()["granted"][0]["address"] == ADDRESS
    service.clock.advance(seconds=12)
    shown = lead.get("/console/rooms?notice=added").text
    assert "已添加直播间" in shown and ADDRESS in shown and "美妆专场" in shown
    row = re.search(r'<tr data-room="1">(.*?)</tr>', shown, re.S)
    assert row is not None
    assert "gpu-01:4242" in row.group(1) and "启动中" in row.group(1) and "(12 秒前)" in row.group(1)
    assert "2026-03-02 17:00:00" in row.group(1)  # the heartbeat, Beijing time
    assert 'id="workers"' in shown and "gpu-01:4242" in shown.split('id="workers"')[1]
    assert service.audit_events() > 0 and _room_ids(service) == [1]


def test_a_refused_address_is_explained_on_the_page_and_nothing_is_added(service: Service) -> None:
    lead = login(service.client.app, "lin")
    events = service.audit_events()
    for address, why in (("file:///etc/passwd", "protocol &#39;file&#39; is not allowed"),
                         ("concat:/etc/passwd|/etc/hosts", "protocol &#39;concat&#39; is not allowed")):
        answer = _add(lead, address)
        assert answer.status_code == 422
        assert "地址未通过检查，未添加" in answer.text and why in answer.text
    assert service.audit_events() == events and _room_ids(service) == []


def test_a_room_added_with_a_vertical_shows_it_and_an_unknown_one_is_refused(service: Service) -> None:
    lead = login(service.client.app, "lin")
    page = lead.get("/console/rooms").text
    refused = lead.post("/console/rooms", data={"csrf": csrf_of(page), "address": ADDRESS, "vertical": "火锅底料"})
    assert refused.status_code == 422 and "行业未通过检查，未添加" in refused.text and "tea（茶叶）" in refused.text
    assert _room_ids(service) == []
    added = lead.post("/console/rooms", data={"csrf": csrf_of(page), "address": ADDRESS, "vertical": "茶叶"},
                      follow_redirects=False)
    assert added.status_code == 303
    row = re.search(r'<tr data-room="1">(.*?)</tr>', lead.get("/console/rooms").text, re.S)
    assert row is not None and '<small class="vertical">tea</small>' in row.group(1)
    granted = service.post("ingest", "/api/v1/watch/heartbeat", {"worker": "w1", "capacity": 1}).json()["granted"]
    assert [(g["address"], g["vertical"]) for g in granted] == [(ADDRESS, "tea")]


def test_without_the_csrf_token_nothing_is_added_or_removed(service: Service) -> None:
    lead = login(service.client.app, "lin")
    assert _add(lead, ADDRESS, csrf="forged").status_code == 403
    assert _room_ids(service) == []
    assert _add(lead, ADDRESS).status_code == 303
    removed = lead.post("/console/rooms/1/remove", data={"csrf": "forged"}, follow_redirects=False)
    assert removed.status_code == 403 and _room_ids(service) == [1]


def test_a_reviewer_sees_the_rooms_but_may_not_add_or_remove_them(service: Service) -> None:
    lead, reviewer = login(service.client.app, "lin"), login(service.client.app, "ana", address="10.0.0.2")
    _add(lead, ADDRESS)
    page = reviewer.get("/console/rooms")
    assert page.status_code == 200 and ADDRESS in page.text
    assert "添加直播间" not in page.text and "/remove" not in page.text
    refused = _add(reviewer, "https://cdn.example.com/live/other.m3u8")
    assert refused.status_code == 403 and "只有组长和管理员" in refused.text
    csrf = csrf_of(page.text)
    assert reviewer.post("/console/rooms/1/remove", data={"csrf": csrf}).status_code == 403
    assert _room_ids(service) == [1]


def test_an_admin_removes_a_room_and_its_worker_is_told_at_the_next_heartbeat(service: Service) -> None:
    admin = login(service.client.app, "root")
    _add(admin, ADDRESS)
    grant = service.post("ingest", "/api/v1/watch/heartbeat", {"worker": "w1", "capacity": 1}).json()["granted"][0]
    page = admin.get("/console/rooms")
    removed = admin.post("/console/rooms/1/remove", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert removed.status_code == 303 and removed.headers["location"] == "/console/rooms?notice=removed"
    assert _room_ids(service) == []
    assert "已移除直播间" in admin.get("/console/rooms?notice=removed").text
    assert ADDRESS in admin.get("/console/rooms?removed=true").text
    again = admin.post("/console/rooms/1/remove", data={"csrf": csrf_of(page.text)})
    assert again.status_code == 409 and "already removed" in again.text
    beat = service.post("ingest", "/api/v1/watch/heartbeat", {"worker": "w1", "capacity": 1, "held": [
        {"room": 1, "epoch": grant["epoch"], "lease_token": grant["lease_token"]}]}).json()
    assert beat["dropped"] == [{"room": 1, "epoch": 1, "reason": "removed", "holder": None}]


def test_hostile_addresses_names_and_details_stay_text(service: Service) -> None:
    lead = login(service.client.app, "lin")
    hostile = 'https://cdn.example.com/live/"><script>alert(1)</script>.m3u8'
    assert _add(lead, hostile, "<img src=x onerror=alert(1)>").status_code == 303
    grant = service.post("ingest", "/api/v1/watch/heartbeat", {"worker": "w1", "capacity": 1}).json()["granted"][0]
    service.post("ingest", "/api/v1/watch/heartbeat", {"worker": "w1", "capacity": 1, "held": [
        {"room": 1, "epoch": grant["epoch"], "lease_token": grant["lease_token"], "state": "reconnecting",
         "detail": "<b>卡顿</b> stalled"}]})
    page = lead.get("/console/rooms").text
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page and "<b>卡顿</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;卡顿&lt;/b&gt; stalled" in page
    assert "重连中" in page


def test_the_rooms_page_needs_a_login(service: Service) -> None:
    anonymous = TestClient(service.client.app)
    answer = anonymous.get("/console/rooms", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/login?next=%2Fconsole%2Frooms"
    assert anonymous.post("/console/rooms", data={"address": ADDRESS}, follow_redirects=False).status_code == 303
    assert _room_ids(service) == []
