"""The queue under load: reviewers claiming and deciding over HTTP while findings arrive at a steady rate.

``python -m benchmarks.queue.load [--db postgresql+psycopg://postgres@127.0.0.1:5432/test]`` starts
``livemon serve`` as a process of its own over a fresh store (SQLite in a temporary folder, or a new
PostgreSQL schema dropped afterwards), offers findings at ``--rate`` per second (batches of ten) for
``--seconds`` (a server that cannot keep up gets fewer: the sustained rate is reported), while
``--reviewers`` threads claim, read and decide cases with no pause between them.
Every finding opens a case (rooms and times are spread so none group): the worst case for the queue.
The reviewers stop with the ingest. It reports throughput and p50/p95 latency per endpoint as the
client sees it, the CPU time the server's processes and the load generator used (the server's per
request is its cost whatever else runs on the machine), and checks that nothing was lost: every
finding posted is stored and in a case, no case decided twice, the audit chain intact. Results go
to ``benchmarks/results/queue_load.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from benchmarks import RESULTS_DIR
from benchmarks.queue.claims import _ms, _store
from monitor.service.audit import verify_chain
from monitor.service.auth import create_token
from monitor.service.db import system_clock
from monitor.store import Store
from monitor.store.queue_schema import CaseFindingRow, CaseRow, DecisionRow, IngestedFindingRow

__all__ = ["LoadResult", "main", "run_load"]

BATCH = 10
IDLE_POLL_S = 1.0
"""A reviewer who finds the queue empty asks again after this long."""
CATEGORIES = ("price_fraud", "absolute_terms", "false_efficacy", "fake_scarcity")


@dataclass(frozen=True, slots=True)
class LoadResult:
    database: str
    workers: int
    """``livemon serve --workers``."""
    seconds: float
    rate: int
    reviewers: int
    findings_posted: int
    findings_stored: int
    cases: int
    decisions: int
    decisions_per_second: float
    latency_ms: dict[str, dict[str, float]]
    """Per endpoint: requests, p50, p95 (client side)."""
    ingest_behind_s: float
    """How far behind its schedule the ingest was when the time ran out (0: it kept the offered rate)."""
    findings_per_second: float
    """The ingest rate the server sustained (the offered ``rate`` when it kept up)."""
    cases_decided_twice: int
    cases_waiting: int
    """Cases still waiting when the run ended (the reviewers' backlog, not a loss)."""
    findings_without_case: int
    audit_chain_ok: bool
    errors: int
    server_cpu_s: float
    """CPU seconds the server's processes used (user + system), from start-up to shutdown."""
    server_cpu_ms_per_request: float
    """``server_cpu_s`` over the requests answered: the server's cost, whatever else shares the machine."""
    client_cpu_s: float
    """CPU seconds the load generator (this process) used meanwhile, on the same machine."""

    @property
    def ok(self) -> bool:
        return (self.findings_posted == self.findings_stored and self.cases_decided_twice == 0
                and self.findings_without_case == 0 and self.audit_chain_ok and self.errors == 0)


def _cpu(who: int) -> float:
    """User + system CPU seconds of this process (``RUSAGE_SELF``) or its waited-for children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _finding(n: int) -> dict[str, Any]:
    room = n % 200
    return {"id": f"load{n}", "category": CATEGORIES[n % len(CATEGORIES)], "risk": "block" if n % 3 else "review",
            "start": float(n // 200) * 90.0, "end": float(n // 200) * 90.0 + 3.0, "source": "speech",
            "text": "原价599今天只要59", "stream": f"rtmp://bench.example/live/room-{room}",
            "provenance": {"live": room % 4 == 0}}


class _Timings:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.values: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []

    def call(self, client: httpx.Client, name: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        t0 = time.perf_counter()
        response = client.request(method, url, **kwargs)
        elapsed = time.perf_counter() - t0
        with self.lock:
            self.values[name].append(elapsed)
            if response.status_code >= 400:
                self.errors.append(f"{name} {response.status_code} {response.text[:200]}")
        return response


def _serve(store: Store, port: int, log: Path, workers: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "monitor.cli", "serve", "--store", str(store.folder), "--port", str(port),
               "--workers", str(workers)]
    if store.engine.dialect.name != "sqlite":
        command += ["--db", store.engine.url.render_as_string(hide_password=False)]
    with log.open("wb") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=handle,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _wait_up(base: str, token: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"livemon serve exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", headers={"Authorization": f"Bearer {token}"}).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("livemon serve did not answer within 60 s")


def run_load(store: Store, seconds: float, rate: int, reviewers: int, workers: int = 1) -> LoadResult:
    with store.session() as s:
        ingest_token = create_token(s, "ingest", None, system_clock(), actor="bench")[0]
        tokens = [create_token(s, "reviewer", None, system_clock(), actor="bench")[0] for _ in range(reviewers)]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = store.folder / "serve.log"
    children, client = _cpu(resource.RUSAGE_CHILDREN), _cpu(resource.RUSAGE_SELF)
    server = _serve(store, port, log, workers)
    timings = _Timings()
    ingesting = threading.Event()
    ingesting.set()
    posted = 0
    behind = 0.0
    decided: list[int] = []
    try:
        _wait_up(base, ingest_token, server, log)

        def ingest() -> None:
            nonlocal posted, behind
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ingest_token}"}, timeout=30) as c:
                began = time.perf_counter()
                for b in range(int(seconds * rate / BATCH)):
                    due = began + b * BATCH / rate
                    now = time.perf_counter()
                    if now - began >= seconds:  # the server fell behind the offered rate: stop on time
                        behind = now - due
                        break
                    if due > now:
                        time.sleep(due - now)
                    timings.call(c, "POST /api/v1/findings", "POST", "/api/v1/findings",
                                 json=[_finding(b * BATCH + i) for i in range(BATCH)])
                    posted += BATCH
            ingesting.clear()

        def reviewer(token: str) -> None:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
                while True:
                    claim = timings.call(c, "POST /api/v1/cases/claim", "POST", "/api/v1/cases/claim")
                    if not ingesting.is_set():
                        return
                    if claim.status_code == 204:  # nothing waiting: look again in a second, as a console would
                        time.sleep(IDLE_POLL_S)
                        continue
                    if claim.status_code != 200:
                        return
                    case = claim.json()
                    timings.call(c, "GET /api/v1/cases/{id}", "GET", f"/api/v1/cases/{case['id']}")
                    decision = timings.call(c, "POST /api/v1/cases/{id}/decision", "POST",
                                            f"/api/v1/cases/{case['id']}/decision",
                                            json={"lease_token": case["lease_token"], "action": "dismiss",
                                                  "reason": "基准测试", "policies": ["bench"]})
                    if decision.status_code == 200:
                        decided.append(case["id"])

        threads = [threading.Thread(target=ingest)] + [threading.Thread(target=reviewer, args=(t,)) for t in tokens]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(timeout=30)
    server_cpu, client_cpu = _cpu(resource.RUSAGE_CHILDREN) - children, _cpu(resource.RUSAGE_SELF) - client
    requests = sum(len(v) for v in timings.values.values())
    with store.session() as s:
        stored = int(s.scalar(select(func.count()).select_from(IngestedFindingRow)) or 0)
        cases = int(s.scalar(select(func.count()).select_from(CaseRow)) or 0)
        waiting = int(s.scalar(select(func.count()).select_from(CaseRow).where(CaseRow.status != "decided")) or 0)
        in_cases = int(s.scalar(select(func.count()).select_from(CaseFindingRow)) or 0)
        twice = s.scalar(select(func.count()).select_from(
            select(DecisionRow.case_id).group_by(DecisionRow.case_id).having(func.count() > 1).subquery()))
        chain = verify_chain(s)
    latency = {name: {"requests": len(v), "p50": round(_ms(v, 50), 1), "p95": round(_ms(v, 95), 1)}
               for name, v in sorted(timings.values.items())}
    return LoadResult(
        database=store.engine.dialect.name, workers=workers, seconds=round(elapsed, 1), rate=rate, reviewers=reviewers,
        findings_posted=posted, findings_stored=stored, cases=cases, decisions=len(decided),
        findings_per_second=round(posted / seconds, 1),
        decisions_per_second=round(len(decided) / elapsed, 1), latency_ms=latency, ingest_behind_s=round(behind, 2),
        cases_decided_twice=int(twice or 0), cases_waiting=waiting, findings_without_case=stored - in_cases,
        audit_chain_ok=chain.ok, errors=len(timings.errors), server_cpu_s=round(server_cpu, 1),
        server_cpu_ms_per_request=round(1000 * server_cpu / max(requests, 1), 2), client_cpu_s=round(client_cpu, 1),
    )


def main(argv: Sequence[str] | None = None) -> LoadResult:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="PostgreSQL URL (a schema of its own is made and dropped); SQLite when absent")
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--rate", type=int, default=100, help="findings per second")
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="server processes (livemon serve --workers)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "queue_load.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder, _store(args.db, Path(folder), 4) as store:
        result = run_load(store, args.seconds, args.rate, args.reviewers, args.workers)
    report = {**asdict(result), "ok": result.ok}
    runs = json.loads(args.out.read_text(encoding="utf-8")) if args.out.is_file() else {}
    runs[result.database if result.workers == 1 else f"{result.database}, {result.workers} workers"] = report
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(runs, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return result


if __name__ == "__main__":
    raise SystemExit(0 if main().ok else 1)
