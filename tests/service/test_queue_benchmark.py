"""The claims benchmark (``benchmarks/queue/claims.py``): a small run in the suite, the issue's size with -m slow."""

from __future__ import annotations

import pytest

from benchmarks.queue.claims import run_claims
from benchmarks.queue.load import run_load
from monitor.store import Store


def test_a_small_claims_run_keeps_every_invariant(store: Store) -> None:
    result = run_claims(store, cases=60, claimers=6)
    assert result.ok and result.cases == 60, result


@pytest.mark.slow
@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_fifty_claimers_over_ten_thousand_cases_on_postgresql(store: Store) -> None:
    result = run_claims(store, cases=10_000, claimers=50)
    assert result.ok and result.cases == 10_000, result


@pytest.mark.parametrize("workers", [1, 2])
def test_a_short_load_run_over_http_loses_nothing(store: Store, workers: int) -> None:
    """The load benchmark (``benchmarks/queue/load.py``) in small: a real ``livemon serve [--workers 2]``."""
    result = run_load(store, seconds=4, rate=50, reviewers=3, workers=workers)
    assert result.ok, result  # every finding posted is stored and in a case, none decided twice, chain intact
    assert 0 < result.findings_posted <= 200 and result.decisions > 0
    assert set(result.latency_ms) >= {"POST /api/v1/findings", "POST /api/v1/cases/claim"}
