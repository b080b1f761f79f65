"""The console's routes under ``/console``: login, the queue, the case page, decisions, evidence.

Pages answer HTML (Chinese first); every route but the login form and the static files needs a
session, pages redirect to the login form without one and the heartbeat and evidence answer 401.
Every POST carries the session's CSRF token (a form field, or ``X-CSRF-Token`` for the heartbeat)
or is refused with 403. Claims, skips, holds, heartbeats and decisions go through the same functions
as the API (:mod:`monitor.service.leases`, :mod:`monitor.service.decisions`), so the same lease
fences hold; a refusal is shown as a Chinese message on the page.
"""

# No "from __future__ import annotations": FastAPI reads the routes' annotations.
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, Header, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.findings import CATEGORIES, Source
from monitor.service.audit import append_event
from monitor.service.auth import Principal, check_password
from monitor.service.cases import STATUSES, CaseFilter, case_detail, list_cases
from monitor.service.console.labels import ACTION_ZH, STATUS_ZH, refusal_zh, validation_zh
from monitor.service.console.ratelimit import LoginLimiter
from monitor.service.console.rooms_page import add_room_pages
from monitor.service.console.session import COOKIE, SessionCodec, SessionData, load_secret, password_fingerprint
from monitor.service.console.views import finding_view, held_lease, room_history, timecode, when
from monitor.service.db import Clock, aware
from monitor.service.decisions import decide
from monitor.service.errors import ServiceError
from monitor.service.leases import CLAIMERS, claim_next, heartbeat, hold, release
from monitor.service.metrics import ServiceMetrics
from monitor.service.models import SANCTIONS, DecisionIn, HoldIn, LeaseIn
from monitor.service.rooms import TIER_NAMES, TIERS
from monitor.sinks.labels import CATEGORY_ZH, RISK_ZH, SOURCE_ZH, VERDICT_ZH
from monitor.sources.policy import SourcePolicy
from monitor.store import Store
from monitor.store.queue_schema import UserRow

__all__ = ["CSP", "install_console"]

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
PAGE_SIZE = 50
SOURCES: tuple[str, ...] = Source.__args__  # type: ignore[attr-defined]
_NEXT = re.compile(r"/console(/cases/\d{1,18}|/rooms)?(\?[\w=&%.+-]{0,500})?")
_EVIDENCE = re.compile(r"[0-9a-f]{64}")
_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer"}
_NOTICES = {"empty": "队列里没有你可以领取的案件。", "skipped": "已跳过，案件已退回队列。",
            "held": "已搁置，案件等待组长处理。", "logged_out": "已退出登录。"}


class _SecurityHeaders:
    """The CSP and friends on every response under ``/console``; pages are not cached unless a route says so."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path != "/console" and not path.startswith("/console/"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _HEADERS.items():
                    headers[name] = value
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class LoginRequired(Exception):
    """No valid session: pages go to the login form (``next_url`` to come back to), the rest answer 401."""

    def __init__(self, page: bool, next_url: str | None = None) -> None:
        self.page, self.next_url = page, next_url


class Refusal(Exception):
    """A request the console refuses with a Chinese message page; nothing was changed."""

    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message


@dataclass(frozen=True, slots=True)
class Viewer:
    principal: Principal
    session: SessionData

    @property
    def name(self) -> str:
        return self.principal.name


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("monitor.service.console", "templates"), autoescape=True)
    env.filters["timecode"] = timecode
    env.filters["when"] = when
    env.globals.update(category_zh=CATEGORY_ZH, risk_zh=RISK_ZH, source_zh=SOURCE_ZH, status_zh=STATUS_ZH,
                       action_zh=ACTION_ZH, sanctions=SANCTIONS, tier_zh=TIER_NAMES, verdict_zh=VERDICT_ZH)
    return env


def _page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_environment().get_template(template).render(**context), status_code=status)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def install_console(app: FastAPI, store: Store, clock: Clock, lease: timedelta, metrics: ServiceMetrics,
                    room_policy: SourcePolicy = SourcePolicy()) -> None:
    """Mount the console on ``app`` under ``/console`` (the cookie secret is the store folder's)."""
    codec = SessionCodec(load_secret(store.folder))
    limiter = LoginLimiter(store)
    lease_minutes = int(lease.total_seconds() // 60)

    def set_session(response: Response, request: Request, data: SessionData) -> None:
        response.set_cookie(COOKIE, codec.dump(data), max_age=int(codec.lifetime.total_seconds()), path="/console",
                            httponly=True, samesite="strict", secure=request.url.scheme == "https")

    def current(request: Request) -> Viewer | None:
        data = codec.load(request.cookies.get(COOKIE), clock())
        if data is None or data.user is None:
            return None
        with store.reading() as s:
            user = s.execute(select(UserRow.role, UserRow.password_hash).where(UserRow.name == data.user)).first()
        if user is None or user.role not in CLAIMERS or password_fingerprint(user.password_hash) != data.fingerprint:
            return None
        return Viewer(Principal(0, user.role, data.user), data)  # a console session has no token: id 0

    def page_viewer(request: Request) -> Viewer:
        viewer = current(request)
        if viewer is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(True, target if request.method == "GET" else None)
        return viewer

    def api_viewer(request: Request) -> Viewer:
        viewer = current(request)
        if viewer is None:
            raise LoginRequired(False)
        return viewer

    def form_viewer(request: Request, csrf: Annotated[str, Form()] = "") -> Viewer:
        viewer = page_viewer(request)
        if not hmac.compare_digest(csrf.encode(), viewer.session.csrf.encode()):
            raise Refusal(403, "表单校验失败（CSRF）：请刷新页面后重试。Form check failed; reload the page.")
        return viewer

    PageViewer = Annotated[Viewer, Depends(page_viewer)]
    FormViewer = Annotated[Viewer, Depends(form_viewer)]

    async def _login_required(_request: Request, error: Exception) -> Response:
        assert isinstance(error, LoginRequired)
        if not error.page:
            return JSONResponse({"detail": "请先登录 (log in first)"}, status_code=401)
        query = f"?{urlencode({'next': error.next_url})}" if error.next_url else ""
        return RedirectResponse(f"/console/login{query}", status_code=303)

    async def _refused(_request: Request, error: Exception) -> Response:
        assert isinstance(error, Refusal)
        return _page("error.html.j2", error.status, message=error.message)

    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(Refusal, _refused)
    app.add_middleware(_SecurityHeaders)
    app.mount("/console/static", StaticFiles(packages=[("monitor.service.console", "static")]), name="console-static")
    router = APIRouter(prefix="/console", include_in_schema=False)

    def base(viewer: Viewer | None, **context: Any) -> dict[str, Any]:
        return {"viewer": viewer, "csrf": viewer.session.csrf if viewer else "", **context}

    @router.get("/login")
    def login_form(request: Request, next: str = "") -> Response:
        if current(request) is not None:
            return RedirectResponse("/console", status_code=303)
        data = codec.load(request.cookies.get(COOKIE), clock()) or codec.new(None, clock())
        response = _page("login.html.j2", csrf=data.csrf, next=next if _NEXT.fullmatch(next) else "")
        set_session(response, request, data)
        return response

    @router.post("/login")
    def login(request: Request, user: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
              csrf: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "") -> Response:
        now = clock()
        anonymous = codec.load(request.cookies.get(COOKIE), now)
        if anonymous is None or not hmac.compare_digest(csrf.encode(), anonymous.csrf.encode()):
            raise Refusal(403, "登录表单已过期（CSRF 校验失败），请刷新登录页后重试。"
                               "The login form expired; reload it.")
        name, address = user.strip()[:64], _address(request)
        form = {"csrf": anonymous.csrf, "user": name, "next": next if _NEXT.fullmatch(next) else ""}
        attempt = limiter.attempt(name, address, now)  # counted as a failure until it succeeds
        if attempt is None:
            return _page("login.html.j2", 429, error="登录失败次数过多，请 15 分钟后再试。Too many failed logins; "
                                                     "try again in 15 minutes.", **form)
        with store.session() as s:  # an unknown name costs one Argon2 verify too (check_password)
            ok = len(password) <= 1024 and check_password(s, name, password)
            found = s.execute(select(UserRow.role, UserRow.password_hash).where(UserRow.name == name)).first()
            ok = ok and found is not None and found.role in CLAIMERS
            if ok:
                append_event(s, name, "console.login", {"user": name}, now)
        if not ok or found is None:
            return _page("login.html.j2", 401, error="用户名或密码错误。Wrong user name or password.", **form)
        limiter.succeeded(attempt)
        response = RedirectResponse(form["next"] or "/console", status_code=303)
        set_session(response, request, codec.new(name, now, password_fingerprint(found.password_hash)))
        return response

    @router.post("/logout")
    def logout(viewer: FormViewer) -> Response:
        response = RedirectResponse("/console/login", status_code=303)
        response.delete_cookie(COOKIE, path="/console")
        return response

    @router.get("")
    def queue(
        viewer: PageViewer,
        category: str = "",
        source: str = "",
        status: str = "",
        tier: str = "",
        offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
        notice: str = "",
        decided: Annotated[int | None, Query(ge=1)] = None,
    ) -> Response:
        if category and category not in CATEGORIES:
            raise Refusal(422, "未知的违规类别。Unknown category.")
        if source and source not in SOURCES:
            raise Refusal(422, "未知的来源。Unknown source.")
        if status and status not in STATUSES:
            raise Refusal(422, "未知的状态。Unknown status.")
        if tier and tier not in TIERS:
            raise Refusal(422, "未知的风险等级。Unknown risk tier.")
        flt = CaseFilter(category or None, source or None, status or None, tier or None)
        with store.reading() as s:
            cases, total, counts = list_cases(s, flt, clock(), limit=PAGE_SIZE, offset=offset)
        filters = {k: v for k, v in (("category", category), ("source", source), ("status", status), ("tier", tier))
                   if v}
        message = _NOTICES.get(notice)
        if decided is not None:
            message = f"已记录案件 #{decided} 的决定。Decision recorded."
        return _page("queue.html.j2", **base(
            viewer, cases=cases, total=total, counts=counts, filters=filters, offset=offset, page_size=PAGE_SIZE,
            categories=CATEGORIES, sources=SOURCES, statuses=STATUSES, tiers=TIERS, notice=message,
            page_link=lambda at: "/console?" + urlencode({**filters, "offset": at}),
            status_link=lambda name: "/console?" + urlencode({**filters, "status": name}),
        ))

    @router.post("/claim")
    def claim(viewer: FormViewer) -> Response:
        with store.session() as s:
            claimed = claim_next(s, viewer.principal, clock(), lease)
        if claimed is None:
            return RedirectResponse("/console?notice=empty", status_code=303)
        metrics.claims.inc()
        return RedirectResponse(f"/console/cases/{claimed.id}", status_code=303)

    def case_page(viewer: Viewer, case_id: int, status: int = 200, error: str | None = None,
                  form: dict[str, Any] | None = None) -> HTMLResponse:
        now = clock()
        with store.reading() as s:
            try:
                case = case_detail(s, case_id, now)
            except ServiceError as e:
                raise Refusal(e.status, refusal_zh(e, lease_minutes)) from e
            token = held_lease(s, case_id, viewer.name, now)
            history = room_history(s, case["stream"], case_id, now)
        remaining = None
        if token is not None and case["lease_expires"]:
            remaining = max(0, int((aware(datetime.fromisoformat(case["lease_expires"])) - now).total_seconds()))
        policies = list(dict.fromkeys(f.get("basis") for f in case["findings"] if isinstance(f.get("basis"), str)
                                      and f.get("basis")))
        return _page("case.html.j2", status, **base(
            viewer, case=case, findings=[finding_view(f) for f in case["findings"]], history=history,
            lease_token=token, remaining=remaining, error=error,
            form=form or {"action": "", "sanction": "", "reason": "", "policies": "\n".join(policies)},
        ))

    @router.get("/cases/{case_id}")
    def show_case(viewer: PageViewer, case_id: int) -> Response:
        return case_page(viewer, case_id)

    @router.post("/cases/{case_id}/decision")
    def post_decision(
        viewer: FormViewer, case_id: int, lease_token: Annotated[str, Form()] = "",
        action: Annotated[str, Form()] = "", sanction: Annotated[str, Form()] = "",
        reason: Annotated[str, Form()] = "", policies: Annotated[str, Form()] = "",
    ) -> Response:
        form = {"action": action, "sanction": sanction, "reason": reason, "policies": policies}
        try:
            body = DecisionIn.model_validate({
                "lease_token": lease_token, "action": action, "reason": reason, "sanction": sanction or None,
                "policies": [line.strip() for line in policies.splitlines() if line.strip()],
            })
        except ValidationError as e:
            return case_page(viewer, case_id, 422, validation_zh(e), form)
        try:
            with store.session() as s:
                decide(s, viewer.principal, case_id, body, clock())
        except ServiceError as e:
            return case_page(viewer, case_id, e.status, refusal_zh(e, lease_minutes), form)
        metrics.decisions.labels(body.action).inc()
        return RedirectResponse(f"/console?decided={case_id}", status_code=303)

    @router.post("/cases/{case_id}/skip")
    def post_skip(viewer: FormViewer, case_id: int, lease_token: Annotated[str, Form()] = "") -> Response:
        try:
            body = LeaseIn.model_validate({"lease_token": lease_token})
            with store.session() as s:
                release(s, viewer.principal, case_id, body.lease_token, clock())
        except ValidationError as e:
            return case_page(viewer, case_id, 422, validation_zh(e))
        except ServiceError as e:
            return case_page(viewer, case_id, e.status, refusal_zh(e, lease_minutes))
        return RedirectResponse("/console?notice=skipped", status_code=303)

    @router.post("/cases/{case_id}/hold")
    def post_hold(viewer: FormViewer, case_id: int, lease_token: Annotated[str, Form()] = "",
                  reason: Annotated[str, Form()] = "") -> Response:
        try:
            body = HoldIn.model_validate({"lease_token": lease_token, "reason": reason})
            with store.session() as s:
                hold(s, viewer.principal, case_id, body.lease_token, body.reason, clock())
        except ValidationError as e:
            return case_page(viewer, case_id, 422, validation_zh(e))
        except ServiceError as e:
            return case_page(viewer, case_id, e.status, refusal_zh(e, lease_minutes))
        return RedirectResponse("/console?notice=held", status_code=303)

    @router.post("/cases/{case_id}/heartbeat")
    def post_heartbeat(viewer: Annotated[Viewer, Depends(api_viewer)], case_id: int, body: LeaseIn,
                       x_csrf_token: Annotated[str, Header()] = "") -> Response:
        if not hmac.compare_digest(x_csrf_token.encode(), viewer.session.csrf.encode()):
            return JSONResponse({"detail": "CSRF 校验失败 (missing or wrong X-CSRF-Token)"}, status_code=403)
        now = clock()
        try:
            with store.session() as s:
                out = heartbeat(s, viewer.principal, case_id, body.lease_token, now, lease)
        except ServiceError as e:
            return JSONResponse({"detail": refusal_zh(e, lease_minutes)}, status_code=e.status)
        return JSONResponse({"id": case_id, "lease_expires": out.lease_expires.isoformat(),
                             "remaining": int((out.lease_expires - now).total_seconds())})

    @router.get("/evidence/{sha256}")
    def evidence(viewer: Annotated[Viewer, Depends(api_viewer)], sha256: str) -> Response:
        if not _EVIDENCE.fullmatch(sha256):
            return JSONResponse({"detail": "证据编号应为 64 位小写十六进制 sha256 (not a sha256)"}, status_code=400)
        path = store.blobs.path(sha256)
        try:
            with path.open("rb") as f:
                head = f.read(12)
        except FileNotFoundError:
            return JSONResponse({"detail": "没有这份证据 (no such evidence)"}, status_code=404)
        if head.startswith(b"\xff\xd8\xff"):
            media = "image/jpeg"
        elif head[4:8] == b"ftyp":
            media = "video/mp4"
        else:  # a stage record or anything else in the blob store is not evidence
            return JSONResponse({"detail": "没有这份证据 (no such evidence)"}, status_code=404)
        return FileResponse(path, media_type=media, headers={
            "X-Content-Type-Options": "nosniff", "Content-Disposition": "inline",
            "Cache-Control": "private, max-age=86400, immutable"})

    add_room_pages(router, store, clock, room_policy, page_viewer, form_viewer, _page, base)
    app.include_router(router)
