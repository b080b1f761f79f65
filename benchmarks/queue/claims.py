"""Concurrent reviewers over a full queue: every case leased once, none lost, each decided exactly once.

``python -m benchmarks.queue.claims --db postgresql+psycopg://postgres@127.0.0.1:5432/test`` runs the
issue's 50 claimers over 10,000 cases in a schema of its own (dropped afterwards) and writes
``benchmarks/results/queue_claims.json``. Without ``--db`` it runs on SQLite in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from monitor.service.audit import verify_chain
from monitor.service.auth import Principal
from monitor.service.decisions import decide
from monitor.service.ingest import ingest_findings
from monitor.service.leases import claim_next
from monitor.service.models import DecisionIn, FindingIn
from monitor.store import Store
from monitor.store.queue_schema import CaseRow, DecisionRow

__all__ = ["ClaimsResult", "main", "run_claims"]

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ClaimsResult:
    database: str
    cases: int
    claimers: int
    seconds: float
    decisions_per_second: float
    claim_p50_ms: float
    claim_p95_ms: float
    decide_p50_ms: float
    decide_p95_ms: float
    leased_twice: int
    lost: int
    decided_more_than_once: int
    audit_chain_ok: bool
    errors: int

    @property
    def ok(self) -> bool:
        return (self.leased_twice, self.lost, self.decided_more_than_once, self.errors) == (0, 0, 0, 0) \
            and self.audit_chain_ok


def _findings(cases: int) -> Iterator[list[FindingIn]]:
    for first in range(0, cases, 1000):
        yield [FindingIn.model_validate({
            "id": f"bench{i}", "category": "price_fraud", "risk": "block" if i % 3 else "review", "start": 10.0,
            "end": 12.0, "source": "speech", "text": "原价599今天只要59", "stream": f"room-{i}",
        }) for i in range(first, min(cases, first + 1000))]


def _ms(values: Sequence[float], q: int) -> float:
    return 1000 * statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else 1000 * sum(values)


def run_claims(store: Store, cases: int, claimers: int) -> ClaimsResult:
    """Fill ``store``'s queue with ``cases`` cases, then let ``claimers`` threads claim and decide until it is empty."""
    for batch in _findings(cases):
        with store.session() as s:
            ingest_findings(s, batch, "bench", NOW, 60.0)
    claims: list[tuple[int, str]] = []
    claim_s: list[float] = []
    decide_s: list[float] = []
    errors: list[BaseException] = []
    start = threading.Barrier(claimers + 1)

    def reviewer(n: int) -> None:
        who = Principal(token_id=n, role="reviewer", user=f"reviewer-{n}")
        start.wait()
        try:
            while True:
                t0 = time.perf_counter()
                with store.session() as s:
                    claim = claim_next(s, who, NOW, timedelta(minutes=10))
                t1 = time.perf_counter()
                if claim is None:
                    return
                with store.session() as s:
                    decide(s, who, claim.id, DecisionIn(lease_token=claim.lease_token, action="dismiss",
                                                        reason="基准测试", policies=["bench"]), NOW)
                claims.append((claim.id, who.name))
                claim_s.append(t1 - t0)
                decide_s.append(time.perf_counter() - t1)
        except BaseException as e:  # counted in the result
            errors.append(e)

    threads = [threading.Thread(target=reviewer, args=(n,)) for n in range(claimers)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    ids = [case_id for case_id, _ in claims]
    with store.session() as s:
        all_cases = set(s.scalars(select(CaseRow.id)))
        twice = s.scalar(select(func.count()).select_from(
            select(DecisionRow.case_id).group_by(DecisionRow.case_id).having(func.count() > 1).subquery()))
        chain = verify_chain(s)
    return ClaimsResult(
        database=store.engine.dialect.name, cases=len(all_cases), claimers=claimers, seconds=round(seconds, 2),
        decisions_per_second=round(len(ids) / seconds, 1) if seconds else 0.0,
        claim_p50_ms=round(_ms(claim_s, 50), 2), claim_p95_ms=round(_ms(claim_s, 95), 2),
        decide_p50_ms=round(_ms(decide_s, 50), 2), decide_p95_ms=round(_ms(decide_s, 95), 2),
        leased_twice=len(ids) - len(set(ids)), lost=len(all_cases - set(ids)), decided_more_than_once=int(twice or 0),
        audit_chain_ok=chain.ok, errors=len(errors),
    )


@contextmanager
def _store(db: str | None, folder: Path, claimers: int) -> Iterator[Store]:
    """A fresh store: SQLite in ``folder``, or a new PostgreSQL schema (dropped afterwards) with a connection each."""
    if db is None:
        with Store.open(folder) as store:
            yield store
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(db)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        store = Store(folder, create_engine(f"{db}?options=-csearch_path%3D{schema}", pool_size=claimers + 2))
        store.migrate()
        with store:
            yield store
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main(argv: Sequence[str] | None = None) -> ClaimsResult:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="PostgreSQL URL (a schema of its own is made and dropped); SQLite when absent")
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--claimers", type=int, default=50)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/queue_claims.json"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder, _store(args.db, Path(folder), args.claimers) as store:
        result = run_claims(store, args.cases, args.claimers)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({**asdict(result), "ok": result.ok}, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({**asdict(result), "ok": result.ok}, indent=2))
    return result


if __name__ == "__main__":
    raise SystemExit(0 if main().ok else 1)
