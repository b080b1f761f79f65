"""The FastAPI app of the moderation queue: every API route needs a bearer token (errors are JSON 4xx);
the reviewer console under ``/console`` needs a login session (:mod:`monitor.service.console`)."""

# No "from __future__ import annotations": FastAPI reads the routes' annotations, which name local values.
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi import Path as FastApiPath
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.findings import CATEGORIES, Source
from monitor.service.auth import Principal, authenticate, require
from monitor.service.cases import STATUSES, CaseFilter, case_detail, list_cases
from monitor.service.console import install_console
from monitor.service.db import Clock, system_clock
from monitor.service.decisions import decide
from monitor.service.errors import Invalid, ServiceError
from monitor.service.evidence import EVIDENCE_TYPES, UnsupportedMedia, store_evidence
from monitor.service.governance_routes import add_governance_routes
from monitor.service.ingest import ingest_findings
from monitor.service.leases import CLAIMERS, claim_next, heartbeat, hold, release
from monitor.service.metrics import ServiceMetrics
from monitor.service.models import (
    CaseList,
    Claim,
    DecisionIn,
    DecisionOut,
    FindingIn,
    HoldIn,
    IngestResult,
    LeaseIn,
    LeaseOut,
)
from monitor.service.room_leases import RoomLeaseOptions
from monitor.service.room_routes import add_room_routes
from monitor.service.rooms import TIERS
from monitor.service.webhooks import Deliverer, delivering
from monitor.sources.policy import SourcePolicy
from monitor.store import Store

__all__ = ["ServiceOptions", "create_app"]

INGESTERS = ("ingest", "admin")
EVIDENCE = "/api/v1/evidence/"


@dataclass(frozen=True, slots=True)
class ServiceOptions:
    lease: timedelta = timedelta(minutes=10)
    """How long a claim holds a case without a heartbeat."""
    group_window: float = 60.0
    """Stream seconds: a finding joins a waiting case of its room and category that comes this close."""
    max_body_bytes: int = 4 * 1024 * 1024
    """Larger request bodies are refused (413) before they are read."""
    max_evidence_bytes: int = 64 * 1024 * 1024
    """The same, for evidence uploads (``PUT /api/v1/evidence/{sha256}``)."""
    max_findings: int = 1000
    """Findings per POST."""
    webhooks: bool = False
    """Deliver the webhook outbox on a background thread while the app runs (``livemon serve`` turns it on)."""
    room_policy: SourcePolicy = SourcePolicy()
    """What a room added for the ``watch --from`` workers may be (protocols, hosts)."""
    room_leases: RoomLeaseOptions = RoomLeaseOptions()
    """How long a worker holds a room without a heartbeat, and the pause before a room that ended is offered."""


class _BodyLimit:
    """Refuse a body over the limit (413), of unknown length (411) or bad length (400) before the app reads it.

    ``by_prefix`` gives the paths starting with a prefix their own limit (evidence uploads).
    """

    def __init__(self, app: ASGIApp, limit: int, by_prefix: dict[str, int] | None = None) -> None:
        self.app, self.default, self.by_prefix = app, limit, by_prefix or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            headers = dict(scope["headers"])
            length = headers.get(b"content-length")
            limit = next((n for prefix, n in self.by_prefix.items() if scope["path"].startswith(prefix)),
                         self.default)
            refusal = None
            if length is None:
                if headers.get(b"transfer-encoding"):
                    refusal = JSONResponse({"detail": "send the body with a Content-Length"}, status_code=411)
            elif not length.isdigit():
                refusal = JSONResponse({"detail": "the Content-Length is not a number"}, status_code=400)
            elif int(length) > limit:
                refusal = JSONResponse({"detail": f"the body is larger than {limit} bytes"}, status_code=413)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _Timed:
    """Each request's latency into ``metrics``, by method, route template and status (plain ASGI: no extra task)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(scope["method"], route, str(status)).observe(time.perf_counter() - started)


def create_app(store: Store, options: ServiceOptions | None = None, clock: Clock = system_clock) -> FastAPI:
    """The service over ``store``; ``clock`` is the time every lease and due date is measured by."""
    opts = options or ServiceOptions()
    metrics = ServiceMetrics(store, clock)
    bearer = HTTPBearer(auto_error=False)

    def caller(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal:
        if credentials is None:
            raise HTTPException(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
        with store.reading() as s:
            principal = authenticate(s, credentials.credentials)
        if principal is None:
            raise HTTPException(401, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
        return principal

    Caller = Annotated[Principal, Depends(caller)]

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        """Deliver the webhook outbox on a background thread while the app runs, when asked to."""
        with delivering(Deliverer(store, clock, counter=metrics.webhooks)) if opts.webhooks else nullcontext():
            yield

    app = FastAPI(title="livemon moderation queue", version="1", openapi_url=None, docs_url=None, redoc_url=None,
                  lifespan=lifespan)
    app.add_middleware(_BodyLimit, limit=opts.max_body_bytes, by_prefix={EVIDENCE: opts.max_evidence_bytes})
    api = APIRouter(dependencies=[Depends(caller)])

    @app.exception_handler(ServiceError)
    async def _refused(_request: Request, error: ServiceError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=error.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        """422 naming each bad field; the offending input is not echoed back (it may not even be JSON-safe)."""
        detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    app.add_middleware(_Timed, metrics=metrics)

    @api.get("/healthz")
    def healthz() -> dict[str, str]:
        """The service is up and its database answers."""
        with store.reading() as s:
            s.execute(text("SELECT 1"))
        return {"status": "ok", "database": store.engine.dialect.name}

    @api.get("/metrics", response_class=Response)
    def prometheus() -> Response:
        """Prometheus text format."""
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    @api.get("/openapi.json", include_in_schema=False)
    def openapi() -> dict[str, Any]:
        return app.openapi()

    @api.post("/api/v1/findings", response_model_exclude_defaults=True)
    def post_findings(
        who: Caller, findings: Annotated[list[FindingIn], Body(min_length=1, max_length=opts.max_findings)]
    ) -> IngestResult:
        """Store findings (a repost of an id changes nothing) and group them into cases."""
        require(who, *INGESTERS)
        with store.session() as s:
            result = ingest_findings(s, findings, who.name, clock(), opts.group_window)
        metrics.findings.inc(result.new)
        return result

    Digest = Annotated[str, FastApiPath(pattern="^[0-9a-f]{64}$", description="hex sha256 of the body")]

    @api.put(EVIDENCE + "{sha256}", status_code=201, responses={200: {"description": "already stored"}})
    async def put_evidence(who: Caller, sha256: Digest, request: Request) -> JSONResponse:
        """Store a snapshot (image/jpeg) or clip (video/mp4) under its sha256; a second PUT changes nothing."""
        require(who, *INGESTERS)
        content_type = request.headers.get("content-type", "")
        if content_type.split(";", 1)[0].strip().lower() not in EVIDENCE_TYPES:
            raise UnsupportedMedia(f"evidence is image/jpeg or video/mp4, not {content_type or 'untyped'}")
        data = await request.body()

        def keep() -> bool:
            with store.session() as s:
                return store_evidence(s, store.blobs, sha256, data, content_type, who.name, clock())

        new = await run_in_threadpool(keep)
        return JSONResponse({"sha256": sha256, "bytes": len(data), "new": new}, status_code=201 if new else 200)

    @api.head(EVIDENCE + "{sha256}", responses={404: {"description": "not stored"}})
    def head_evidence(who: Caller, sha256: Digest) -> Response:
        """200 when the evidence is stored (an uploader skips it), 404 when not."""
        require(who, *INGESTERS)
        return Response(status_code=200 if store.blobs.path(sha256).is_file() else 404)

    @api.get("/api/v1/cases")
    def get_cases(
        who: Caller,
        category: str | None = None,
        source: Source | None = None,
        tier: Annotated[str | None, Query(pattern=f"^({'|'.join(TIERS)})$")] = None,
        status: Annotated[str | None, Query(description=f"one of {', '.join(STATUSES)}")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> CaseList:
        """Cases, most urgent first, with the count per status under the category and source filters."""
        require(who, *CLAIMERS)
        if category is not None and category not in CATEGORIES:
            raise Invalid(f"unknown category {category!r}; expected one of {', '.join(CATEGORIES)}")
        if status is not None and status not in STATUSES:
            raise Invalid(f"unknown status {status!r}; expected one of {', '.join(STATUSES)}")
        with store.reading() as s:
            cases, total, counts = list_cases(s, CaseFilter(category, source, status, tier), clock(), limit=limit,
                                              offset=offset)
        return CaseList(cases=cases, total=total, counts=counts)

    @api.get("/api/v1/cases/{case_id}")
    def get_case(who: Caller, case_id: int) -> dict[str, Any]:
        """One case with its findings and decisions."""
        require(who, *CLAIMERS)
        with store.reading() as s:
            return case_detail(s, case_id, clock())

    @api.post("/api/v1/cases/claim", response_model=Claim, responses={204: {"description": "nothing is waiting"}})
    def post_claim(who: Caller) -> Claim | Response:
        """Lease the most urgent waiting case to the caller."""
        with store.session() as s:
            claimed = claim_next(s, who, clock(), opts.lease)
        if claimed is None:
            return Response(status_code=204)
        metrics.claims.inc()
        return claimed

    @api.post("/api/v1/cases/{case_id}/heartbeat")
    def post_heartbeat(who: Caller, case_id: int, body: LeaseIn) -> LeaseOut:
        """Extend the caller's lease."""
        with store.session() as s:
            return heartbeat(s, who, case_id, body.lease_token, clock(), opts.lease)

    @api.post("/api/v1/cases/{case_id}/skip")
    def post_skip(who: Caller, case_id: int, body: LeaseIn) -> dict[str, Any]:
        """Give the case back to the queue."""
        with store.session() as s:
            release(s, who, case_id, body.lease_token, clock())
        return {"id": case_id, "released": True}

    @api.post("/api/v1/cases/{case_id}/hold")
    def post_hold(who: Caller, case_id: int, body: HoldIn) -> dict[str, Any]:
        """Park the case for a lead, with a reason."""
        with store.session() as s:
            hold(s, who, case_id, body.lease_token, body.reason, clock())
        return {"id": case_id, "status": "held"}

    @api.post("/api/v1/cases/{case_id}/decision")
    def post_decision(who: Caller, case_id: int, body: DecisionIn) -> DecisionOut:
        """Confirm (with a sanction step), dismiss or escalate the leased case."""
        with store.session() as s:
            out = decide(s, who, case_id, body, clock())
        metrics.decisions.labels(body.action).inc()
        return out

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        """The reviewer console (which asks for a login)."""
        return RedirectResponse("/console", status_code=303)

    install_console(app, store, clock, opts.lease, metrics, opts.room_policy)
    add_governance_routes(api, store, clock, caller)
    add_room_routes(api, store, clock, caller, opts.room_policy, opts.room_leases)
    app.include_router(api)
    return app
