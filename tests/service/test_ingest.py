"""Ingest in batches (SQLite and PostgreSQL): a batch groups findings exactly as posting them one at a time does."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from monitor.service.ingest import ingest_findings
from monitor.service.models import FindingIn
from monitor.store import Store
from monitor.store.queue_schema import CaseFindingRow, CaseRow, IngestedFindingRow
from tests.service.queue_helpers import finding

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _findings(prefix: str, seed: int) -> list[FindingIn]:
    """Findings over three rooms and two categories, near and far in time, some live, some of risk pass."""
    rng = random.Random(seed)
    out = []
    for i in range(60):
        live = {"live": True} if rng.random() < 0.2 else {}
        out.append(FindingIn.model_validate(finding(
            f"{prefix}{i}", stream=f"{prefix}-room-{rng.randrange(3)}", category=rng.choice(("price_fraud",
                                                                                             "fake_scarcity")),
            start=float(rng.randrange(0, 600, 7)), risk=rng.choice(("block", "review", "review", "pass")),
            provenance=live)))
    return out


def _cases(store: Store, prefix: str) -> list[tuple[Any, ...]]:
    """Each case of the prefix's rooms as its stream, category, span, risk, priority, live and finding ids."""
    with store.session() as s:
        cases = s.scalars(select(CaseRow).where(CaseRow.stream.startswith(f"{prefix}-")).order_by(CaseRow.id)).all()
        members = {case.id: sorted(fid.removeprefix(prefix) for fid in s.scalars(
            select(IngestedFindingRow.finding_id).join(CaseFindingRow,
                                                       CaseFindingRow.finding_row_id == IngestedFindingRow.id)
            .where(CaseFindingRow.case_id == case.id))) for case in cases}
        return sorted((c.stream.removeprefix(prefix), c.category, c.start, c.end, c.risk, c.priority,
                       c.live_until is not None, tuple(members[c.id])) for c in cases)


def _in_order(findings: list[FindingIn]) -> list[FindingIn]:
    """The order a batch is grouped in: by stream, category, start and id."""
    return sorted(findings, key=lambda f: (f.stream, f.category, f.start, f.id))


def test_a_batch_groups_as_one_finding_at_a_time_does(store: Store) -> None:
    first, second = _findings("a", 7), _findings("b", 7)  # the same findings under two prefixes
    with store.session() as s:  # some waiting cases before the batch arrives
        ingest_findings(s, first[:10], "test", NOW, 60.0)
    for one in _in_order(second[:10]):
        with store.session() as s:
            ingest_findings(s, [one], "test", NOW, 60.0)
    with store.session() as s:
        result = ingest_findings(s, first[10:], "test", NOW + timedelta(seconds=1), 60.0)
    for one in _in_order(second[10:]):
        with store.session() as s:
            ingest_findings(s, [one], "test", NOW + timedelta(seconds=1), 60.0)
    assert result.new == 50 and result.cases
    assert _cases(store, "a") == _cases(store, "b")
    assert len(_cases(store, "a")) > 6  # some grouped, some not: the comparison means something


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_a_batch_costs_the_same_statements_whatever_its_size(store: Store) -> None:
    """On PostgreSQL, where each statement is a round trip (SQLite inserts row by row where it needs new ids:
    it cannot match RETURNING rows to their parameters, but it runs in the process, so it is not counted)."""
    counted: list[int] = []

    def count(*_args: object) -> None:
        counted[-1] += 1

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        for size, prefix in ((10, "s"), (200, "l")):
            batch = [FindingIn.model_validate(finding(f"{prefix}{i}", stream=f"{prefix}-room-{i % 50}",
                                                      start=float(i * 200), provenance={"live": i % 4 == 0}))
                     for i in range(size)]
            counted.append(0)
            with store.session() as s:
                ingest_findings(s, batch, "test", NOW, 60.0)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert counted[0] == counted[1], counted
