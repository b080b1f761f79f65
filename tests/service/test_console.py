"""The reviewer console over TestClient (SQLite and PostgreSQL): login, CSRF, pages, decisions, evidence."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from monitor.service import ServiceOptions, create_app
from monitor.service.console.routes import CSP
from monitor.store.queue_schema import CaseRow, DecisionRow, UserRow
from tests.service.console_helpers import csrf_of, evidenced, jpeg, login, mp4
from tests.service.queue_helpers import LEASE, Service, finding


def _ingest(service: Service, *findings: dict[str, object]) -> None:
    answer = service.post("ingest", "/api/v1/findings", list(findings))
    assert answer.status_code == 200, answer.text


def _case(service: Service, case_id: int) -> CaseRow:
    with service.store.session() as s:
        return s.scalars(select(CaseRow).where(CaseRow.id == case_id)).one()


def _decisions(service: Service) -> list[DecisionRow]:
    with service.store.session() as s:
        return list(s.scalars(select(DecisionRow).order_by(DecisionRow.id)))


def test_no_console_route_answers_without_a_session(service: Service) -> None:
    _ingest(service, finding("f1"))
    service.store.blobs.put(jpeg())
    app = service.client.app
    included = [r for top in app.routes for r in getattr(getattr(top, "original_router", None), "routes", [top])]  # type: ignore[attr-defined]
    routes = [(m, r.path) for r in included if isinstance(r, APIRoute) and r.path.startswith("/console")
              for m in r.methods]
    assert len(routes) >= 11, routes
    before = service.audit_events()
    stranger = TestClient(app, cookies={"livemon_console": "forged.value"})
    for method, path in routes:
        url = path.replace("{case_id}", "1").replace("{sha256}", "0" * 64)
        answer = stranger.request(method, url, follow_redirects=False)
        if path == "/console/login":
            assert answer.status_code in (200, 403), (method, url)
        elif path.endswith(("/heartbeat", "/evidence/{sha256}")):
            assert answer.status_code == 401, (method, url, answer.text)
        else:
            assert answer.status_code == 303, (method, url, answer.text)
            assert answer.headers["location"].startswith("/console/login"), (method, url)
        assert answer.headers["content-security-policy"] == CSP
    assert service.client.get("/", follow_redirects=False).headers["location"] == "/console"
    assert service.client.get("/console/cases/1", follow_redirects=False).headers["location"] == \
        "/console/login?next=%2Fconsole%2Fcases%2F1"
    assert service.audit_events() == before
    assert _case(service, 1).status == "open"


def test_login_takes_the_user_back_where_they_were_going(service: Service) -> None:
    _ingest(service, finding("f1"))
    client = service.client
    form = client.get("/console/login?next=/console/cases/1")
    answer = client.post("/console/login", follow_redirects=False, data={
        "user": "ana", "password": "correct horse battery", "csrf": csrf_of(form.text), "next": "/console/cases/1"})
    assert answer.headers["location"] == "/console/cases/1"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert client.get("/console/cases/1").status_code == 200
    form = client.get("/console/login", follow_redirects=False)  # logged in already
    assert form.headers["location"] == "/console"


def test_login_never_sends_the_user_off_site(service: Service) -> None:
    for target in ("https://evil.example/", "//evil.example", "/console/../api/v1/cases", "/console\\evil"):
        client = login(service.client.app, "ana")
        client.cookies.clear()
        form = client.get("/console/login", params={"next": target})
        assert target not in form.text
        answer = client.post("/console/login", follow_redirects=False, data={
            "user": "ana", "password": "correct horse battery", "csrf": csrf_of(form.text), "next": target})
        assert answer.headers["location"] == "/console"


def test_wrong_passwords_lock_the_user_out_for_15_minutes(service: Service) -> None:
    client = service.client
    for _ in range(5):
        form = client.get("/console/login")
        answer = client.post("/console/login", data={"user": "ana", "password": "wrong password!", "csrf":
                                                     csrf_of(form.text)})
        assert answer.status_code == 401
        assert "用户名或密码错误" in answer.text
    form = client.get("/console/login")
    answer = client.post("/console/login", data={"user": "ana", "password": "correct horse battery",
                                                 "csrf": csrf_of(form.text)}, follow_redirects=False)
    assert answer.status_code == 429
    assert "登录失败次数过多，请 15 分钟后再试" in answer.text
    assert "set-cookie" not in answer.headers  # no session, even with the right password
    service.clock.advance(minutes=15, seconds=1)
    answer = client.post("/console/login", data={"user": "ana", "password": "correct horse battery",
                                                 "csrf": csrf_of(form.text)}, follow_redirects=False)
    assert answer.status_code == 303


def test_failed_logins_count_across_server_processes(service: Service) -> None:
    """Two apps over one store, as ``serve --workers 2`` runs them: their failures add up, from any address."""
    apps = [service.client.app, create_app(service.store, ServiceOptions(lease=LEASE), service.clock)]
    for i in range(5):
        client = TestClient(apps[i % 2], client=(f"10.4.0.{i}", 1))
        form = client.get("/console/login")
        assert client.post("/console/login", data={"user": "ana", "password": "wrong password!",
                                                   "csrf": csrf_of(form.text)}).status_code == 401
    for app in apps:
        client = TestClient(app, client=("10.4.1.1", 1))
        form = client.get("/console/login")
        answer = client.post("/console/login", data={"user": "ana", "password": "correct horse battery",
                                                     "csrf": csrf_of(form.text)}, follow_redirects=False)
        assert answer.status_code == 429
    service.clock.advance(minutes=15, seconds=1)
    login(apps[1], "ana", address="10.4.1.1")


def test_a_lockout_counts_names_that_are_no_user_alike(service: Service) -> None:
    answers = {}
    for name in ("ana", "nobody"):
        client = TestClient(service.client.app, client=(f"10.0.1.{len(answers)}", 1))
        for _ in range(6):
            form = client.get("/console/login")
            answer = client.post("/console/login", data={"user": name, "password": "wrong password!",
                                                         "csrf": csrf_of(form.text)})
        answers[name] = (answer.status_code, re.sub(r'(content|value)="[\w-]{43}"', "TOKEN", answer.text.replace(
            f'value="{name}"', 'value="NAME"')))
    assert answers["ana"] == answers["nobody"]
    assert answers["ana"][0] == 429


def test_one_address_is_limited_across_user_names(service: Service) -> None:
    client = TestClient(service.client.app, client=("10.9.9.9", 1))
    for name in ("u1", "u2", "u3", "u4", "u5"):
        form = client.get("/console/login")
        assert client.post("/console/login", data={"user": name, "password": "x", "csrf": csrf_of(form.text)}
                           ).status_code == 401
    form = client.get("/console/login")
    answer = client.post("/console/login", data={"user": "bo", "password": "correct horse battery",
                                                 "csrf": csrf_of(form.text)})
    assert answer.status_code == 429
    login(service.client.app, "bo", address="10.9.9.10")  # another address still gets in


def test_a_success_clears_the_users_failures(service: Service) -> None:
    app = service.client.app
    for attempt in range(2):
        for i in range(4):
            client = TestClient(app, client=(f"10.2.{attempt}.{i}", 1))
            form = client.get("/console/login")
            assert client.post("/console/login", data={"user": "bo", "password": "nope", "csrf":
                                                       csrf_of(form.text)}).status_code == 401
        login(app, "bo", address=f"10.3.{attempt}.1")  # 4 failures, then a success: 8 in all, never locked


def test_forms_without_the_csrf_token_are_refused_and_change_nothing(service: Service) -> None:
    _ingest(service, finding("f1"))
    client = login(service.client.app, "ana")
    page = client.get("/console")
    token = csrf_of(page.text)
    before = service.audit_events()
    for data in ({}, {"csrf": "not-the-token"}, {"csrf": token + "x"}):
        answer = client.post("/console/claim", data=data)
        assert answer.status_code == 403
        assert "CSRF" in answer.text and "请刷新页面后重试" in answer.text
    assert _case(service, 1).status == "open"
    claimed = client.post("/console/claim", data={"csrf": token}, follow_redirects=False)
    assert claimed.headers["location"] == "/console/cases/1"
    lease = _case(service, 1).lease_token
    after_claim = service.audit_events()
    refused = client.post("/console/cases/1/decision", data={
        "lease_token": lease, "action": "dismiss", "reason": "正常价格", "policies": "明码标价"})
    assert refused.status_code == 403
    beat = client.post("/console/cases/1/heartbeat", json={"lease_token": lease})
    assert beat.status_code == 403
    login_form = service.client.get("/console/login")
    assert service.client.post("/console/login", data={"user": "ana", "password": "correct horse battery"}
                               ).status_code == 403
    assert csrf_of(login_form.text)
    assert service.audit_events() == after_claim == before + 1  # the claim, nothing else
    assert _decisions(service) == []


def test_queue_shows_counts_filters_and_pages(service: Service) -> None:
    _ingest(service, *[finding(f"a{i}", stream=f"room-{i}", source="speech") for i in range(40)])
    _ingest(service, *[finding(f"b{i}", stream=f"room-{i}", category="absolute_terms", source="screen", risk="review")
                       for i in range(15)])
    client = login(service.client.app, "ana")
    page = client.get("/console")
    assert page.status_code == 200
    assert re.search(r'data-status="open">\s*待领取 <b class="count">55</b>', page.text)
    assert page.text.count('<tr class="risk-') == 50
    assert "下一页" in page.text
    second = client.get("/console", params={"offset": 50})
    assert second.text.count('<tr class="risk-') == 5 and "上一页" in second.text
    screen = client.get("/console", params={"source": "screen"})
    assert screen.text.count('<tr class="risk-review">') == 15 and "极限用语" in screen.text
    assert "共 15 个案件" in screen.text
    leased = client.get("/console", params={"status": "leased"})
    assert "共 0 个案件" in leased.text
    for bad in ({"category": "nope"}, {"source": "tv"}, {"status": "gone"}):
        answer = client.get("/console", params=bad)
        assert answer.status_code == 422
        assert "未知的" in answer.text
    assert client.get("/console", params={"offset": -1}).status_code == 422


def _claimed_case_page(service: Service, client: object) -> tuple[str, str]:
    page = client.get("/console")  # type: ignore[attr-defined]
    claimed = client.post("/console/claim", data={"csrf": csrf_of(page.text)})  # type: ignore[attr-defined]
    assert claimed.status_code == 200 and "decision-form" in claimed.text
    lease = re.search(r'name="lease_token" value="([^"]+)"', claimed.text)
    assert lease is not None
    return claimed.text, lease.group(1)


def test_a_decision_from_the_console_is_recorded_like_one_from_the_api(service: Service) -> None:
    _ingest(service, finding("f1"))
    client = login(service.client.app, "ana")
    page, lease = _claimed_case_page(service, client)
    assert 'data-remaining="600"' in page
    token = csrf_of(page)
    form = {"csrf": token, "lease_token": lease, "action": "confirm", "sanction": "限流",
            "reason": "划线价599元高于前7日最低成交价", "policies": "明码标价和禁止价格欺诈规定\n 价格法第十四条 \n\n"}
    answer = client.post("/console/cases/1/decision", data=form, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/console?decided=1"
    (decision,) = _decisions(service)
    assert (decision.action, decision.sanction, decision.decided_by) == ("confirm", "限流", "ana")
    assert decision.policies == '["明码标价和禁止价格欺诈规定", "价格法第十四条"]'
    queue = client.get(answer.headers["location"])
    assert "已记录案件 #1 的决定" in queue.text
    again = client.post("/console/cases/1/decision", data=form)  # the lease ended with the decision
    assert again.status_code == 409
    assert "租约已失效或已不属于你" in again.text and "Traceback" not in again.text
    assert len(_decisions(service)) == 1
    case = client.get("/console/cases/1")
    assert "确认违规" in case.text and "限流" in case.text and "decision-form" not in case.text


def test_bad_decisions_get_a_chinese_message_and_change_nothing(service: Service) -> None:
    _ingest(service, finding("f1"))
    client = login(service.client.app, "ana")
    page, lease = _claimed_case_page(service, client)
    base = {"csrf": csrf_of(page), "lease_token": lease, "action": "confirm", "reason": "理由",
            "policies": "明码标价"}
    before = service.audit_events()
    cases = [({"reason": "  "}, "请填写理由"), ({"policies": "\n"}, "请填写至少一条政策依据"),
             ({"action": "ban"}, "请选择处理方式"), ({"action": "dismiss", "sanction": "警示"}, "处罚措施只能与"),
             ({"sanction": "罚款"}, "处罚措施须从列表中选择")]
    for change, message in cases:
        answer = client.post("/console/cases/1/decision", data={**base, **change})
        assert answer.status_code == 422, change
        assert message in answer.text and "未做任何更改" in answer.text, change
    typed = client.post("/console/cases/1/decision", data={**base, "reason": "<b>我写的</b>", "policies": ""})
    assert "&lt;b&gt;我写的&lt;/b&gt;</textarea>" in typed.text  # what was typed is kept, escaped
    foreign = login(service.client.app, "bo")
    stolen = foreign.post("/console/cases/1/decision", data={**base, "csrf": csrf_of(foreign.get("/console").text)})
    assert stolen.status_code == 409 and "租约已失效或已不属于你" in stolen.text
    assert "decision-form" not in stolen.text  # bo does not hold the lease
    service.clock.advance(minutes=10, seconds=1)
    late = client.post("/console/cases/1/decision", data=base)
    assert late.status_code == 409 and "10 分钟无心跳会自动收回" in late.text
    assert _decisions(service) == [] and service.audit_events() == before + 1  # bo's login only
    assert client.get("/console/cases/99").status_code == 404


def test_heartbeat_extends_the_lease_and_skip_and_hold_release_it(service: Service) -> None:
    _ingest(service, finding("f1"), finding("f2", stream="room-b"))
    client = login(service.client.app, "ana")
    page, lease = _claimed_case_page(service, client)
    token = csrf_of(page)
    service.clock.advance(minutes=6)
    beat = client.post("/console/cases/1/heartbeat", json={"lease_token": lease}, headers={"X-CSRF-Token": token})
    assert beat.status_code == 200 and beat.json()["remaining"] == 600
    service.clock.advance(minutes=6)  # past the first lease, inside the renewed one
    assert 'data-remaining="240"' in client.get("/console/cases/1").text
    assert client.post("/console/cases/1/heartbeat", json={"lease_token": "x"},
                       headers={"X-CSRF-Token": token}).status_code == 409
    assert client.post("/console/cases/1/heartbeat", json={}, headers={"X-CSRF-Token": token}).status_code == 422
    skipped = client.post("/console/cases/1/skip", data={"csrf": token, "lease_token": lease}, follow_redirects=False)
    assert skipped.headers["location"] == "/console?notice=skipped"
    assert _case(service, 1).status == "open"
    page, lease = _claimed_case_page(service, client)
    unreasoned = client.post("/console/cases/1/hold", data={"csrf": token, "lease_token": lease, "reason": " "})
    assert unreasoned.status_code == 422 and "请填写理由" in unreasoned.text
    held = client.post("/console/cases/1/hold", data={"csrf": token, "lease_token": lease, "reason": "等订单数据"})
    assert "已搁置" in held.text and _case(service, 1).status == "held"
    service.clock.advance(hours=13)  # the session has lapsed
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_hostile_text_from_a_stream_reaches_the_page_escaped(service: Service) -> None:
    hostile = "<script>alert(1)</script>"
    body = evidenced("f1", stream=f"rtmp://x/{hostile}\"'><img src=x onerror=alert(2)>",
                     text=f"原价599{hostile}今天59", rule=f"r{hostile}", basis=f"《价格法》{hostile}")
    body["evidence"]["context"] = f"上一句{hostile}。原价599{hostile}今天59，{hostile}"
    body["evidence"]["signals"] = {"speaker_turn": hostile, "speaker": 1, "overlapped": True, "overlap_seconds": 1.94,
                                   "overlap_note": hostile}
    _ingest(service, body)
    client = login(service.client.app, "ana")
    queue = client.get("/console")
    page, lease = _claimed_case_page(service, client)
    decision = client.post("/console/cases/1/decision", data={
        "csrf": csrf_of(page), "lease_token": lease, "action": "dismiss", "reason": hostile, "policies": hostile})
    assert decision.status_code == 200
    shown = client.get("/console/cases/1").text
    for html in (queue.text, page, shown):
        assert hostile not in html and "<img src=x" not in html and "javascript:" not in html
        assert re.findall(r"<script[^>]*>", html) == ['<script src="/console/static/console.js" defer>']
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert ("<mark>原价599&lt;script&gt;alert(1)&lt;/script&gt;今天59</mark>" in page), "the finding's text is marked"
    assert "/console/evidence/" not in page and "<video" not in page  # the finding names no evidence
    # spoken over another voice: livemon's own note, never the body's; a turn that is not a count is left out
    note = '说话人 Speaker</span> 1 · <b class="overlap">抢话/叠音 spoken over another voice</b> (1.9 s)'
    assert note in " ".join(page.split())
    assert "轮次 turn #" not in page


def test_the_case_page_shows_evidence_basis_and_the_rooms_history(service: Service) -> None:
    snapshot, clip = service.store.blobs.put(jpeg()), service.store.blobs.put(mp4())
    room = "rtmp://cdn.example/live/room-a"
    _ingest(service, evidenced("f1", snapshot, clip, clip_start=7.5, stream=room, start=10.0),
             finding("f2", stream=room, category="absolute_terms", start=500.0, risk="review"),
             finding("f3", stream="rtmp://cdn.example/live/room-b", risk="review"))
    with service.store.session() as s:
        ids = {c.category + c.stream[-1]: c.id for c in s.scalars(select(CaseRow))}
    client = login(service.client.app, "ana")
    page, lease = _claimed_case_page(service, client)  # the block case: f1's
    assert f"案件 #{ids['price_frauda']}" in page
    client.post(f"/console/cases/{ids['price_frauda']}/decision", data={
        "csrf": csrf_of(page), "lease_token": lease, "action": "confirm", "sanction": "警示", "reason": "价格欺诈",
        "policies": "明码标价"})
    other = client.get(f"/console/cases/{ids['absolute_termsa']}").text  # the room's other case
    assert 'id="room-history"' in other and "确认违规" in other and "警示" in other and "价格欺诈" in other
    first = client.get(f"/console/cases/{ids['price_frauda']}").text
    assert f'<img class="evidence-media snapshot" src="/console/evidence/{snapshot}"' in first
    assert f'src="/console/evidence/{clip}#t=2.50"' in first and 'data-offset="2.5"' in first
    assert "法律依据" in first and "明码标价和禁止价格欺诈规定" in first
    assert "<mark>原价599今天只要59。</mark>" in first and "家人们看过来" in first
    assert "room-b" not in first  # another room's case is not its history


def test_evidence_is_served_to_a_logged_in_reviewer_only(service: Service) -> None:
    image, clip = jpeg(), mp4()
    snapshot, video = service.store.blobs.put(image), service.store.blobs.put(clip)
    record = service.store.blobs.put_json(b'{"stage": "asr"}')
    assert service.client.get(f"/console/evidence/{snapshot}").status_code == 401
    client = login(service.client.app, "ana")
    answer = client.get(f"/console/evidence/{snapshot}")
    assert answer.status_code == 200 and answer.content == image
    assert answer.headers["content-type"] == "image/jpeg"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-disposition"] == "inline"
    part = client.get(f"/console/evidence/{video}", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == clip[:100]
    assert part.headers["content-type"] == "video/mp4"
    for bad in ("abc", snapshot.upper(), snapshot[:-1] + "g", snapshot + "0"):
        assert client.get(f"/console/evidence/{bad}").status_code == 400, bad
    assert client.get(f"/console/evidence/{'0' * 64}").status_code == 404
    assert client.get(f"/console/evidence/{record}").status_code == 404  # a stage record is not evidence
    assert client.get("/console/evidence/..%2F..%2Fetc%2Fpasswd").status_code in (400, 404)


def test_a_session_ends_with_logout_a_password_change_or_a_forged_cookie(service: Service) -> None:
    client = login(service.client.app, "ana")
    token = csrf_of(client.get("/console").text)
    cookie = client.cookies["livemon_console"]
    body, signature = cookie.split(".")
    forged = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + signature
    assert TestClient(service.client.app, cookies={"livemon_console": forged}).get(
        "/console", follow_redirects=False).status_code == 303
    out = client.post("/console/logout", data={"csrf": token}, follow_redirects=False)
    assert out.headers["location"] == "/console/login"
    assert client.get("/console", follow_redirects=False).status_code == 303
    other = login(service.client.app, "bo")
    assert other.get("/console", follow_redirects=False).status_code == 200
    with service.store.session() as s:
        s.execute(update(UserRow).where(UserRow.name == "bo").values(password_hash="$argon2id$changed"))
    assert other.get("/console", follow_redirects=False).status_code == 303


def test_the_session_cookie_is_secure_over_https(service: Service) -> None:
    client = TestClient(service.client.app, base_url="https://testserver")
    form = client.get("/console/login")
    answer = client.post("/console/login", follow_redirects=False, data={
        "user": "ana", "password": "correct horse battery", "csrf": csrf_of(form.text)})
    assert answer.status_code == 303 and "Secure" in answer.headers["set-cookie"]
    assert "Secure" not in service.client.get("/console/login").headers["set-cookie"]  # plain http: not marked


def test_the_queue_and_case_page_show_the_rooms_tier_and_whether_it_is_live(service: Service) -> None:
    _ingest(service, finding("old", stream="room-risky", start=10.0))
    lease = service.claim("ana")
    decided = service.post("ana", f"/api/v1/cases/{lease['id']}/decision", {
        "lease_token": lease["lease_token"], "action": "confirm", "reason": "虚构原价", "policies": ["价格法"],
        "sanction": "限流"})
    assert decided.status_code == 200, decided.text
    _ingest(service, finding("new", stream="room-risky", start=900.0, provenance={"live": True}),
            finding("calm", stream="room-calm"))
    client = login(service.client.app, "ana")
    high = client.get("/console", params={"tier": "high"})
    assert "共 1 个案件" in high.text and "高风险" in high.text and "直播中" in high.text
    assert "共 2 个案件" in client.get("/console", params={"tier": "low"}).text  # a decided case keeps its tier
    assert client.get("/console", params={"tier": "extreme"}).status_code == 422
    [risky] = service.get("ana", "/api/v1/cases", tier="high").json()["cases"]
    page = client.get(f"/console/cases/{risky['id']}").text
    assert 'id="case-tier">高风险<' in page and 'id="case-live"' in page
