"""The claims benchmark (``benchmarks/queue/claims.py``): a small run in the suite, the issue's size with -m slow."""

from __future__ import annotations

import pytest

from benchmarks.queue.claims import run_claims
from monitor.store import Store


def test_a_small_claims_run_keeps_every_invariant(store: Store) -> None:
    result = run_claims(store, cases=60, claimers=6)
    assert result.ok and result.cases == 60, result


@pytest.mark.slow
def test_fifty_claimers_over_ten_thousand_cases_on_postgresql(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("the issue's load is measured on PostgreSQL")
    result = run_claims(store, cases=10_000, claimers=50)
    assert result.ok and result.cases == 10_000, result
