"""The claims benchmark's scoring on a tiny hand-made table."""

from __future__ import annotations

import pytest

from benchmarks.claims.evaluate import Counts, score

CATS = ("a", "b", "c")
COMPANIONS = {frozenset(("a", "b"))}
TRUTH = [("a",), ("a", "c"), ("b",), (), (), ("c",)]
PREDICTED = [{"a", "b"}, {"a"}, {"c"}, {"a"}, set(), {"c"}]
# a: TP rows 0,1; FP row 3 (clean).  b: FN row 2; row 0 extra b is a companion of a → ignored.
# c: TP row 5; FN row 1; FP row 2 (c is no companion of b).


def test_per_category_and_micro() -> None:
    s = score(TRUTH, PREDICTED, COMPANIONS, CATS)
    assert s.per_category == {"a": Counts(2, 1, 0), "b": Counts(0, 0, 1), "c": Counts(1, 1, 1)}
    assert s.micro == Counts(3, 2, 2)
    assert s.micro.precision == pytest.approx(3 / 5)
    assert s.micro.recall == pytest.approx(3 / 5)
    assert s.micro.f1 == pytest.approx(0.6)
    assert s.per_category["a"].precision == pytest.approx(2 / 3)
    assert s.per_category["a"].f1 == pytest.approx(0.8)
    assert s.per_category["c"].f1 == pytest.approx(0.5)
    assert s.per_category["b"].f1 == 0.0
    assert s.errors["a"]["fp"] == [3]
    assert s.errors["c"] == {"fn": [1], "fp": [2]}


def test_strict_counts_every_extra_and_clean_rate() -> None:
    s = score(TRUTH, PREDICTED, COMPANIONS, CATS)
    assert s.strict_micro == Counts(3, 3, 2)
    assert s.strict_micro.f1 == pytest.approx(6 / 11)
    assert (s.clean_flagged, s.clean_total) == (1, 2)
    assert s.clean_flag_rate == 0.5
    assert score(TRUTH, PREDICTED, frozenset(), CATS).micro == Counts(3, 3, 2)


def test_empty_and_mismatched() -> None:
    assert score([], [], categories=CATS).micro.f1 == 0.0
    with pytest.raises(ValueError, match="rows"):
        score([("a",)], [], categories=CATS)
