"""Room tiers, live rooms, sanctions, appeals, legal holds and retention, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from monitor.cli import app as cli
from monitor.service.rooms import LIVE_WINDOW, stream_key
from monitor.store.governance_schema import RoomRow
from tests.service.queue_helpers import Service, finding

ROOM = "rtmp://cdn.example/live/room-a"
BLACKLIST_TERMS = {"facts": "直播中虚构原价599元，实际从未以该价格销售",
                   "basis": ["价格法 第十四条", "明码标价和禁止价格欺诈规定 第十九条"],
                   "period_days": 180, "appeal_route": "商家后台-违规申诉，15日内提交"}


def _confirm(service: Service, who: str, **changes: Any) -> dict[str, Any]:
    """Claim the next case as ``who`` and confirm it; returns the decision."""
    lease = service.claim(who)
    body = {"lease_token": lease["lease_token"], "action": "confirm", "reason": "虚构原价",
            "policies": ["明码标价和禁止价格欺诈规定"], **changes}
    decided = service.post(who, f"/api/v1/cases/{lease['id']}/decision", body)
    assert decided.status_code == 200, decided.text
    return dict(decided.json())


def _case(service: Service, fid: str) -> dict[str, Any]:
    cases = service.get("ana", "/api/v1/cases", limit=500).json()["cases"]
    with service.store.session() as s:
        case_ids = s.execute(text("SELECT cf.case_id FROM case_findings cf JOIN ingested_findings f "
                                  "ON f.id = cf.finding_row_id WHERE f.finding_id = :fid"), {"fid": fid}).scalars()
        case_id = next(iter(case_ids))
    return next(c for c in cases if c["id"] == case_id)


def test_confirmed_violations_raise_the_rooms_tier_and_its_cases_priority(service: Service) -> None:
    for n in range(3):
        service.post("ingest", "/api/v1/findings", [finding(f"a{n}", start=1000.0 * n)])
        assert _case(service, f"a{n}")["tier"] == ("low", "medium", "medium")[n]
        _confirm(service, "ana")
    service.post("ingest", "/api/v1/findings", [finding("a3", start=5000.0),
                                                finding("b0", stream="room-b", start=5000.0)])
    risky, plain = _case(service, "a3"), _case(service, "b0")
    assert (risky["tier"], plain["tier"]) == ("high", "low")
    assert risky["priority"] > plain["priority"]
    assert datetime.fromisoformat(risky["due_at"]) < datetime.fromisoformat(plain["due_at"])
    assert service.claim("bo")["id"] == risky["id"]  # the riskier room's case comes first
    high = service.get("ana", "/api/v1/cases", tier="high").json()
    assert [c["id"] for c in high["cases"]] == [risky["id"]]
    room = service.get("ana", f"/api/v1/rooms/{stream_key(ROOM)}").json()
    assert (room["tier"], room["tier_name"], room["confirmed"]) == ("high", "高风险", 3)
    assert service.get("ana", "/api/v1/rooms", tier="high").json()[0]["stream"] == ROOM
    assert service.get("ana", "/api/v1/cases", tier="extreme").status_code == 422


def test_a_live_room_is_reviewed_first_while_it_is_live(service: Service) -> None:
    service.post("ingest", "/api/v1/findings", [finding("recorded", stream="room-recorded")])
    service.post("ingest", "/api/v1/findings", [finding("live", stream="room-live", provenance={"live": True})])
    live = _case(service, "live")
    assert live["live"] and not _case(service, "recorded")["live"]
    assert service.get("ana", "/api/v1/cases").json()["cases"][0]["id"] == live["id"]
    service.clock.advance(seconds=LIVE_WINDOW.total_seconds() + 1)
    assert not _case(service, "live")["live"]
    assert service.claim("ana")["id"] == _case(service, "recorded")["id"]  # older case first once neither is live


def test_a_blacklisting_states_facts_basis_period_and_appeal_route(service: Service) -> None:
    service.post("ingest", "/api/v1/findings", [finding("f1")])
    lease = service.claim("lin")
    bare = {"lease_token": lease["lease_token"], "action": "confirm", "reason": "虚构原价",
            "policies": ["价格法 第十四条"], "sanction": "黑名单"}
    before = service.audit_events()
    refused = service.post("lin", f"/api/v1/cases/{lease['id']}/decision", bare)
    assert refused.status_code == 422 and "terms" in refused.text
    assert service.audit_events() == before
    decided = service.post("lin", f"/api/v1/cases/{lease['id']}/decision", {**bare, "terms": BLACKLIST_TERMS})
    assert decided.status_code == 200, decided.text
    [sanction] = service.get("ingest", "/api/v1/sanctions").json()
    assert sanction["id"] == decided.json()["sanction"]
    assert (sanction["kind"], sanction["facts"], sanction["basis"], sanction["appeal_route"]) == (
        "黑名单", BLACKLIST_TERMS["facts"], BLACKLIST_TERMS["basis"], BLACKLIST_TERMS["appeal_route"])
    days = datetime.fromisoformat(sanction["ends_at"]) - datetime.fromisoformat(sanction["starts_at"])
    assert days.days == 180 and sanction["in_force"]
    assert service.get("ana", f"/api/v1/rooms/{stream_key(ROOM)}").json()["tier"] == "severe"
    service.clock.advance(days=181)
    assert not service.get("ingest", "/api/v1/sanctions").json()[0]["in_force"]


def test_an_appeal_goes_to_someone_else_and_its_outcome_is_recorded(service: Service) -> None:
    service.post("ingest", "/api/v1/findings", [finding("f1")])
    sanction_id = _confirm(service, "lin", sanction="黑名单", terms=BLACKLIST_TERMS)["sanction"]
    appeal = service.post("ingest", f"/api/v1/sanctions/{sanction_id}/appeals", {"statement": "原价有销售记录为证"})
    assert appeal.status_code == 201, appeal.text
    appeal_id = appeal.json()["id"]
    again = service.post("ingest", f"/api/v1/sanctions/{sanction_id}/appeals", {"statement": "再次申诉"})
    assert again.status_code == 409
    outcome = {"outcome": "upheld", "reason": "商家提供了原价成交记录"}
    assert service.post("lin", f"/api/v1/appeals/{appeal_id}/decision", outcome).status_code == 403  # the decider
    assert service.post("ana", f"/api/v1/appeals/{appeal_id}/decision", outcome).status_code == 403  # a reviewer
    decided = service.post("root", f"/api/v1/appeals/{appeal_id}/decision", outcome)
    assert decided.status_code == 200, decided.text
    assert (decided.json()["status"], decided.json()["decided_by"]) == ("upheld", "root")
    sanction = service.get("ingest", "/api/v1/sanctions").json()[0]
    assert sanction["status"] == "lifted" and not sanction["in_force"]
    assert service.get("ana", f"/api/v1/rooms/{stream_key(ROOM)}").json()["tier"] == "low"
    assert service.post("root", f"/api/v1/appeals/{appeal_id}/decision", outcome).status_code == 409
    assert service.post("ingest", f"/api/v1/sanctions/{sanction_id}/appeals",
                        {"statement": "x"}).status_code == 409  # nothing left to appeal
    assert service.get("lin", "/api/v1/appeals", status="upheld").json()[0]["id"] == appeal_id


def _delete(service: Service, sql: str, **params: Any) -> None:
    with service.store.engine.begin() as connection:
        connection.execute(text(sql), params)


@pytest.mark.parametrize("table", ["audit_events", "decisions", "ingested_findings", "cases", "sanctions"])
def test_records_cannot_be_deleted_inside_the_retention_period(service: Service, table: str) -> None:
    service.post("ingest", "/api/v1/findings", [finding("f1")])
    _confirm(service, "ana", sanction="警示")
    with pytest.raises(DBAPIError, match="retention period"):
        _delete(service, f"DELETE FROM {table}")
    with pytest.raises(DBAPIError, match="append-only"):
        _delete(service, "UPDATE decisions SET reason = 'rewritten'")


def test_a_legal_hold_keeps_a_room_past_the_retention_period(service: Service) -> None:
    service.post("ingest", "/api/v1/findings", [finding("f1"), finding("f2", stream="room-b")])
    held = service.post("lin", "/api/v1/holds", {"stream": ROOM, "reason": "市场监管部门调查"})
    assert held.status_code == 201, held.text
    assert service.post("ana", "/api/v1/holds", {"stream": ROOM, "reason": "x"}).status_code == 403
    with service.store.engine.begin() as connection:  # as if the records had outlived the period
        connection.execute(text("UPDATE retention_policy SET years = 0"))
    _delete(service, "DELETE FROM rooms WHERE stream_key = :key", key=stream_key("room-b"))
    with pytest.raises(DBAPIError, match="legal hold"):
        _delete(service, "DELETE FROM rooms WHERE stream_key = :key", key=stream_key(ROOM))
    with pytest.raises(DBAPIError, match="legal hold"):
        _delete(service, "DELETE FROM legal_holds")
    lifted = service.post("lin", f"/api/v1/holds/{held.json()['id']}/lift", {"reason": "调查结束"})
    assert lifted.status_code == 200 and lifted.json()["lifted_by"] == "lin"
    _delete(service, "DELETE FROM rooms WHERE stream_key = :key", key=stream_key(ROOM))
    with service.store.session() as s:
        assert s.scalars(select(RoomRow)).all() == []
    assert service.post("lin", f"/api/v1/holds/{held.json()['id']}/lift", {"reason": "again"}).status_code == 409


def test_the_retention_period_is_never_set_below_three_years(service: Service) -> None:
    where = ["--store", str(service.store.folder)]
    if service.store.engine.dialect.name != "sqlite":
        where += ["--db", service.store.engine.url.render_as_string(hide_password=False)]
    runner = CliRunner()
    short = runner.invoke(cli, ["retention", "set", "2", *where])
    assert short.exit_code == 2 and "at least 3 years" in short.output
    longer = runner.invoke(cli, ["retention", "set", "5", *where])
    assert longer.exit_code == 0, longer.output
    assert service.get("lin", "/api/v1/holds").json()["retention_years"] == 5


def test_rooms_are_listed_riskiest_first(service: Service) -> None:
    service.post("ingest", "/api/v1/findings", [finding("calm", stream="room-calm")])
    service.post("ingest", "/api/v1/findings", [finding("risky", stream="room-risky")])
    lease = service.claim("ana")
    case = service.get("ana", f"/api/v1/cases/{lease['id']}").json()
    assert service.post("ana", f"/api/v1/cases/{lease['id']}/decision", {
        "lease_token": lease["lease_token"], "action": "confirm", "reason": "虚构原价",
        "policies": ["价格法"], "sanction": "限流"}).status_code == 200
    rooms = service.get("ana", "/api/v1/rooms").json()
    assert [r["stream"] for r in rooms] == [case["stream"], *(s for s in ("room-calm", "room-risky")
                                                             if s != case["stream"])]
    assert rooms[0]["tier"] == "high" and rooms[1]["tier"] == "low"
    assert [r["stream"] for r in service.get("ana", "/api/v1/rooms", tier="low").json()] == [rooms[1]["stream"]]
    assert len(service.get("ana", "/api/v1/rooms", limit=1, offset=1).json()) == 1
