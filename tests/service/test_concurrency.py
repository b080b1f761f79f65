"""Many callers at once, on PostgreSQL (FOR UPDATE SKIP LOCKED, advisory locks) and SQLite (one writer).

Reviewers: no case leased twice, none lost, each decided exactly once. Ingesters: no finding or case twice.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from monitor.service.audit import verify_chain
from monitor.service.auth import Principal
from monitor.service.decisions import decide
from monitor.service.ingest import ingest_findings
from monitor.service.leases import claim_next
from monitor.service.models import DecisionIn, FindingIn
from monitor.store import Store
from monitor.store.queue_schema import CaseRow, DecisionRow, IngestedFindingRow
from tests.service.queue_helpers import finding

CASES = 500
CLAIMERS = 20
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_concurrent_claimers_never_share_a_case(store: Store) -> None:
    findings = [FindingIn.model_validate(finding(f"f{i}", stream=f"room-{i}")) for i in range(CASES)]
    with store.session() as s:
        ingest_findings(s, findings, "ingest", NOW, 60.0)
    claims: list[tuple[int, str]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(CLAIMERS)

    def reviewer(n: int) -> None:
        who = Principal(token_id=n, role="reviewer", user=f"reviewer-{n}")
        start.wait()
        try:
            while True:
                with store.session() as s:
                    claim = claim_next(s, who, NOW, timedelta(minutes=10))
                if claim is None:
                    return
                claims.append((claim.id, who.name))
                decision = DecisionIn(lease_token=claim.lease_token, action="confirm" if claim.id % 2 else "dismiss",
                                      reason="复核", policies=["广告法 第九条"])
                with store.session() as s:
                    decide(s, who, claim.id, decision, NOW)
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=reviewer, args=(n,)) for n in range(CLAIMERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors[:3]
    claimed = [case_id for case_id, _ in claims]
    assert len(claimed) == CASES and len(set(claimed)) == CASES  # each case leased once, none lost
    assert len({who for _, who in claims}) > 1
    with store.session() as s:
        per_case = s.execute(select(DecisionRow.case_id, func.count()).group_by(DecisionRow.case_id)).all()
        assert len(per_case) == CASES and all(n == 1 for _, n in per_case)
        assert set(s.scalars(select(CaseRow.status))) == {"decided"}
        check = verify_chain(s)
    confirmed = CASES // 2  # each in a room of its own, which goes from tier low to medium
    assert check.ok and check.events == 1 + 2 * CASES + confirmed


def test_concurrent_ingest_of_the_same_findings_stores_each_once(store: Store) -> None:
    batches = [[FindingIn.model_validate(finding(f"f{i}", stream=f"room-{i % 5}", start=float(i % 40)))
                for i in range(k, k + 60)] for k in range(0, 120, 20)]  # overlapping batches
    errors: list[BaseException] = []
    start = threading.Barrier(len(batches) * 2)

    def ingester(batch: list[FindingIn]) -> None:
        start.wait()
        try:
            with store.session() as s:
                ingest_findings(s, batch, "ingest", NOW, 60.0)
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=ingester, args=(b,)) for b in batches * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors[:3]
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(IngestedFindingRow)) == 160
        assert s.scalar(select(func.count()).select_from(CaseRow)) == 5  # one per room: all within the window
        assert verify_chain(s).ok
