"""What the queue's operations cost in the server's own process: ingest of ten findings, claim, decision.

``python -m benchmarks.queue.costs [--db postgresql+psycopg://postgres@127.0.0.1:5432/test]`` runs the
service's functions directly (no HTTP, one caller, no contention) over a fresh store and reports,
per operation, the median and mean time and the SQL statements sent (each one a round trip to a
database server). Results go to ``benchmarks/results/queue_costs.json``, keyed by database.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from benchmarks import RESULTS_DIR
from benchmarks.queue.claims import _store
from benchmarks.queue.load import _finding
from monitor.service.auth import Principal
from monitor.service.decisions import decide
from monitor.service.ingest import ingest_findings
from monitor.service.leases import claim_next
from monitor.service.models import Claim, DecisionIn, FindingIn
from monitor.store import Store

__all__ = ["main", "measure"]

LEASE = timedelta(minutes=10)


def _timed(store: Store, runs: int, step: Callable[[int], None]) -> dict[str, float]:
    statements = 0

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(store.engine, "before_cursor_execute", count)
    seconds = []
    try:
        for i in range(runs):
            started = time.perf_counter()
            step(i)
            seconds.append(time.perf_counter() - started)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    return {"median_ms": round(1000 * statistics.median(seconds), 2),
            "mean_ms": round(1000 * statistics.fmean(seconds), 2), "statements": round(statements / runs, 1)}


def measure(store: Store, runs: int) -> dict[str, dict[str, float]]:
    """``runs`` ingests of ten findings (each opening cases, a quarter of rooms live), then as many claims and
    decisions, each in its own transaction as the API runs them."""
    now = datetime.now(UTC)
    reviewer = Principal(1, "reviewer", "bench")
    batches = [[FindingIn.model_validate(_finding(b * 10 + i)) for i in range(10)] for b in range(runs)]
    claims: list[Claim] = []

    def ingest(i: int) -> None:
        with store.session() as s:
            ingest_findings(s, batches[i], "bench", now + timedelta(milliseconds=i), 60.0)

    def claim(i: int) -> None:
        with store.session() as s:
            claimed = claim_next(s, reviewer, now + timedelta(seconds=1, milliseconds=i), LEASE)
        if claimed is None:
            raise RuntimeError("the queue ran dry: every claim should find a case")
        claims.append(claimed)

    def decision(i: int) -> None:
        body = DecisionIn(lease_token=claims[i].lease_token, action="dismiss", reason="基准测试", policies=["bench"])
        with store.session() as s:
            decide(s, reviewer, claims[i].id, body, now + timedelta(seconds=2, milliseconds=i))

    return {"ingest 10 findings": _timed(store, runs, ingest), "claim": _timed(store, runs, claim),
            "decision": _timed(store, runs, decision)}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="PostgreSQL URL (a schema of its own is made and dropped); SQLite when absent")
    parser.add_argument("--runs", type=int, default=200, help="operations of each kind")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "queue_costs.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder, _store(args.db, Path(folder), 4) as store:
        database = store.engine.dialect.name
        report = {"database": database, "runs": args.runs, **measure(store, args.runs)}
    runs = json.loads(args.out.read_text(encoding="utf-8")) if args.out.is_file() else {}
    runs[database] = report
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(runs, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return report


if __name__ == "__main__":
    main()
