"""The queue's HTTP contract on SQLite and PostgreSQL: ingest, cases, leases, decisions, access, bad input."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from monitor.store.queue_schema import CaseRow, DecisionRow, IngestedFindingRow
from tests.service.queue_helpers import Service, finding


def _counts(service: Service) -> tuple[int, int, int]:
    with service.store.session() as s:
        return tuple(int(s.scalar(select(func.count()).select_from(t)) or 0)  # type: ignore[return-value]
                     for t in (IngestedFindingRow, CaseRow, DecisionRow))


def _decision(lease_token: str, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {"lease_token": lease_token, "action": "confirm", "reason": "原价虚构, 7日内最低价为59",
                               "policies": ["明码标价和禁止价格欺诈规定"], "sanction": "警示"}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def test_ingest_is_idempotent_by_finding_id(service: Service) -> None:
    batch = [finding("f1"), finding("f2", start=20.0)]
    first = service.post("ingest", "/api/v1/findings", batch)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": 2, "new": 2, "duplicates": 0, "cases": [1]}
    events = service.audit_events()
    again = service.post("ingest", "/api/v1/findings", [*batch, finding("f1", start=99.0)])
    assert again.json() == {"received": 3, "new": 0, "duplicates": 3, "cases": []}
    assert _counts(service) == (2, 1, 0) and service.audit_events() == events  # nothing changed, nothing audited


def test_findings_group_by_room_category_and_time(service: Service) -> None:
    batch = [
        finding("a1", start=10.0, risk="review"),
        finding("a2", start=50.0),                               # within 60 s of a1's case: same case, now block
        finding("a3", start=400.0),                              # far later: a case of its own
        finding("b1", start=12.0, category="fake_scarcity"),     # other category
        finding("c1", start=10.0, stream="room-b.flv"),           # other room
        finding("p1", start=11.0, risk="pass"),                  # kept on record, no case
    ]
    assert service.post("ingest", "/api/v1/findings", batch).json()["new"] == 6
    listed = service.get("ana", "/api/v1/cases").json()
    assert listed["total"] == 4 and listed["counts"]["open"] == 4
    by_first = {(c["stream"], c["category"], c["start"]): c for c in listed["cases"]}
    grown = by_first[("rtmp://cdn.example/live/room-a", "price_fraud", 10.0)]
    assert (grown["finding_count"], grown["end"], grown["risk"], grown["priority"]) == (2, 53.0, "block", 20)
    assert _counts(service)[:2] == (6, 4)
    detail = service.get("ana", f"/api/v1/cases/{grown['id']}").json()
    assert [f["id"] for f in detail["findings"]] == ["a1", "a2"]


def test_case_filters_and_counts(service: Service) -> None:
    service.post("ingest", "/api/v1/findings", [
        finding("s1"), finding("o1", start=500.0, source="screen"), finding("x1", category="counterfeit"),
    ])
    claimed = service.claim()
    assert service.get("ana", "/api/v1/cases", category="counterfeit").json()["total"] == 1
    assert [c["sources"] for c in service.get("ana", "/api/v1/cases", source="screen").json()["cases"]] == [["screen"]]
    leased = service.get("ana", "/api/v1/cases", status="leased").json()
    assert [c["id"] for c in leased["cases"]] == [claimed["id"]] and leased["counts"]["open"] == 2
    assert leased["cases"][0]["lease_owner"] == "ana"
    for bad in ({"category": "no_such"}, {"status": "lost"}, {"source": "telepathy"}, {"limit": 0}):
        assert service.get("ana", "/api/v1/cases", **bad).status_code == 422


def test_claims_give_distinct_cases_then_204(service: Service) -> None:
    service.post("ingest", "/api/v1/findings", [finding(f"f{i}", stream=f"room-{i}") for i in range(3)])
    ids = {service.claim(who)["id"] for who in ("ana", "bo", "ana")}
    assert len(ids) == 3
    assert service.post("bo", "/api/v1/cases/claim", None).status_code == 204


def test_the_most_urgent_case_is_claimed_first(service: Service) -> None:
    service.post("ingest", "/api/v1/findings", [finding("r1", risk="review", stream="r"), finding("b1", stream="b")])
    first = service.claim()
    assert service.get("ana", f"/api/v1/cases/{first['id']}").json()["risk"] == "block"


def test_a_decision_closes_the_case_once(service: Service) -> None:
    service.post("ingest", "/api/v1/findings", [finding("f1")])
    lease = service.claim()
    decided = service.post("ana", f"/api/v1/cases/{lease['id']}/decision", _decision(lease["lease_token"]))
    assert decided.status_code == 200, decided.text
    assert decided.json() == {"id": 1, "case": lease["id"], "action": "confirm", "status": "decided",
                              "supersedes": None, "sanction": 1}
    again = service.post("ana", f"/api/v1/cases/{lease['id']}/decision", _decision(lease["lease_token"]))
    assert again.status_code == 409
    detail = service.get("ana", f"/api/v1/cases/{lease['id']}").json()
    assert detail["status"] == "decided" and detail["decision"] == "confirm"
    assert detail["decisions"][0]["sanction"] == "警示" and detail["decisions"][0]["decided_by"] == "ana"
    assert service.post("ana", "/api/v1/cases/claim", None).status_code == 204


def test_stale_foreign_or_expired_leases_are_refused_with_409(service: Service) -> None:
    service.post("ingest", "/api/v1/findings", [finding("f1")])
    lease = service.claim("ana")
    url = f"/api/v1/cases/{lease['id']}/decision"
    assert service.post("ana", url, _decision("not-the-token")).status_code == 409      # stale token
    assert service.post("bo", url, _decision(lease["lease_token"])).status_code == 409  # someone else's lease
    assert service.post("ana", "/api/v1/cases/999/decision", _decision("x")).status_code == 404
    service.clock.advance(minutes=10, seconds=1)
    refused = service.post("ana", url, _decision(lease["lease_token"]))                # lapsed
    assert refused.status_code == 409 and "lapsed" in refused.json()["detail"]
    assert _counts(service)[2] == 0


def test_an_expired_lease_returns_the_case_to_the_queue(service: Service) -> None:
    service.post("ingest", "/api/v1/findings", [finding("f1")])
    first = service.claim("ana")
    assert service.post("bo", "/api/v1/cases/claim", None).status_code == 204
    service.clock.advance(minutes=11)
    assert service.get("bo", "/api/v1/cases").json()["counts"]["open"] == 1
    second = service.claim("bo")
    assert second["id"] == first["id"] and second["lease_token"] != first["lease_token"]
    beat = service.post("ana", f"/api/v1/cases/{first['id']}/heartbeat", {"lease_token": first["lease_token"]})
    assert beat.status_code == 409
    ok = service.post("bo", f"/api/v1/cases/{second['id']}/decision", _decision(second["lease_token"]))
    assert ok.status_code == 200


def test_a_heartbeat_keeps_the_lease(service: Service) -> None:
    service.post("ingest", "/api/v1/findings", [finding("f1")])
    lease = service.claim()
    for _ in range(3):
        service.clock.advance(minutes=8)
        beat = service.post("ana", f"/api/v1/cases/{lease['id']}/heartbeat", {"lease_token": lease["lease_token"]})
        assert beat.status_code == 200, beat.text
    assert service.post("bo", "/api/v1/cases/claim", None).status_code == 204
    assert service.post("ana", f"/api/v1/cases/{lease['id']}/decision",
                        _decision(lease["lease_token"])).status_code == 200


@pytest.mark.parametrize(
    "changes",
    [
        {"reason": ""}, {"reason": "   "}, {"policies": []}, {"policies": [" "]}, {"action": "ban"},
        {"action": "dismiss"}, {"sanction": "罚款"}, {"extra": 1},
    ],
    ids=["empty-reason", "blank-reason", "no-policy", "blank-policy", "unknown-action", "sanction-on-dismiss",
         "unknown-sanction", "unknown-field"],
)
def test_a_decision_without_reason_or_policy_is_422_and_changes_nothing(
    service: Service, changes: dict[str, object]
) -> None:
    service.post("ingest", "/api/v1/findings", [finding("f1")])
    lease = service.claim()
    events = service.audit_events()
    response = service.post("ana", f"/api/v1/cases/{lease['id']}/decision", _decision(lease["lease_token"], **changes))
    assert response.status_code == 422, response.text
    missing = service.post("ana", f"/api/v1/cases/{lease['id']}/decision",
                           {"lease_token": lease["lease_token"], "action": "dismiss"})
    assert missing.status_code == 422
    assert _counts(service)[2] == 0 and service.audit_events() == events
    assert service.get("ana", f"/api/v1/cases/{lease['id']}").json()["status"] == "leased"


def test_escalate_goes_to_a_lead_whose_decision_supersedes(service: Service) -> None:
    service.post("ingest", "/api/v1/findings", [finding("f1")])
    lease = service.claim("ana")
    up = service.post("ana", f"/api/v1/cases/{lease['id']}/decision",
                      _decision(lease["lease_token"], action="escalate", sanction=None))
    assert up.json()["status"] == "escalated"
    assert service.post("bo", "/api/v1/cases/claim", None).status_code == 204  # reviewers do not take it
    lead = service.claim("lin")
    assert lead["id"] == lease["id"]
    final = service.post("lin", f"/api/v1/cases/{lead['id']}/decision", _decision(lead["lease_token"],
                                                                                   sanction="限流"))
    assert final.json()["supersedes"] == up.json()["id"] and final.json()["status"] == "decided"
    assert [d["action"] for d in service.get("lin", f"/api/v1/cases/{lead['id']}").json()["decisions"]] == [
        "escalate", "confirm"]


def test_skip_releases_and_hold_parks_for_a_lead(service: Service) -> None:
    service.post("ingest", "/api/v1/findings", [finding("f1")])
    lease = service.claim("ana")
    assert service.post("ana", f"/api/v1/cases/{lease['id']}/skip", {"lease_token": lease["lease_token"]}).json() == {
        "id": lease["id"], "released": True}
    again = service.claim("bo")
    assert again["id"] == lease["id"]
    held = service.post("bo", f"/api/v1/cases/{again['id']}/hold",
                        {"lease_token": again["lease_token"], "reason": "等待平台提供订单数据"})
    assert held.status_code == 200
    assert service.post("ana", "/api/v1/cases/claim", None).status_code == 204
    assert service.claim("lin")["id"] == lease["id"]
    assert service.post("bo", f"/api/v1/cases/{again['id']}/hold",
                        {"lease_token": again["lease_token"]}).status_code == 422


def test_no_endpoint_answers_without_a_valid_token(service: Service) -> None:
    paths = service.client.app.openapi()["paths"]  # type: ignore[attr-defined]
    routes = [(method.upper(), path) for path, methods in paths.items() for method in methods]
    routes.append(("GET", "/openapi.json"))
    assert {path for _, path in routes} >= {"/healthz", "/metrics", "/openapi.json", "/api/v1/findings",
                                            "/api/v1/cases", "/api/v1/cases/claim", "/api/v1/cases/{case_id}/decision"}
    for method, route in routes:
        path = route.replace("{case_id}", "1")
        for headers in ({}, {"Authorization": "Bearer lm_wrong"}, {"Authorization": "Basic YTpi"}):
            response = service.client.request(method, path, headers=headers, json=[])
            assert response.status_code == 401, (method, path, headers, response.text)
    assert _counts(service) == (0, 0, 0)


def test_roles_are_checked(service: Service) -> None:
    assert service.post("ingest", "/api/v1/cases/claim", None).status_code == 403
    assert service.get("ingest", "/api/v1/cases").status_code == 403
    assert service.post("ana", "/api/v1/findings", [finding("f1")]).status_code == 403
    assert service.post("root", "/api/v1/findings", [finding("f1")]).status_code == 200
    assert service.post("ingest", "/api/v1/cases/1/decision", _decision("x")).status_code == 403


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"[{\"id\": \"f1\",", 422),                                               # malformed JSON
        (json.dumps([finding("f1", category="no_such")]).encode(), 422),          # unknown category
        (json.dumps(finding("f1")).encode(), 422),                                # not an array
        (b"[]", 422),                                                             # nothing to ingest
        (json.dumps([finding(f"f{i}") for i in range(51)]).encode(), 422),        # too many findings
        (json.dumps([finding("f1", end=1.0)]).encode(), 422),                     # ends before it starts
        (json.dumps([finding("f1", risk="maybe")]).encode(), 422),                # unknown risk
        (json.dumps([finding("f/../1")]).encode(), 422),                          # id out of its alphabet
        (b"[" + json.dumps(finding("f1")).encode().replace(b"0.8", b"NaN") + b"]", 422),
        (json.dumps([finding("f1", text="x" * 70_000)]).encode(), 413),           # over the body limit
    ],
    ids=["malformed", "category", "object", "empty", "too-many", "end-before-start", "risk", "id", "nan", "oversized"],
)
def test_bad_findings_are_refused_and_change_nothing(service: Service, body: bytes, status: int) -> None:
    events = service.audit_events()
    response = service.client.post("/api/v1/findings", content=body,
                                   headers={**service.auth("ingest"), "Content-Type": "application/json"})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert _counts(service) == (0, 0, 0) and service.audit_events() == events


def test_hostile_finding_text_is_kept_as_data(service: Service) -> None:
    text = "'); DROP TABLE cases; -- <script>alert(1)</script> \x1b[31m"
    stream = "room'; DELETE FROM audit_events; --"
    assert service.post("ingest", "/api/v1/findings", [finding("f1", stream=stream, text=text)]).status_code == 200
    case = service.get("ana", "/api/v1/cases").json()["cases"][0]
    assert case["stream"] == stream
    detail = service.client.get(f"/api/v1/cases/{case['id']}", headers=service.auth("ana"))
    assert detail.headers["content-type"] == "application/json" and detail.json()["findings"][0]["text"] == text


def test_health_metrics_and_openapi(service: Service) -> None:
    assert service.get("ingest", "/healthz").json()["status"] == "ok"
    service.post("ingest", "/api/v1/findings", [finding("f1")])
    service.claim()
    metrics = service.get("ana", "/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'livemon_cases{status="leased"} 1.0' in metrics.text
    assert "livemon_findings_ingested_total 1.0" in metrics.text
    assert "livemon_http_request_duration_seconds_bucket" in metrics.text
    paths = service.get("ana", "/openapi.json").json()["paths"]
    assert {"/api/v1/findings", "/api/v1/cases/claim", "/api/v1/cases/{case_id}/decision"} <= set(paths)
