"""Character error rate, as the ASR benchmarks score transcripts."""

from __future__ import annotations

import pytest

from benchmarks.cer import cer, cer_counts


@pytest.mark.parametrize(
    ("ref", "hyp", "expected"),
    [("面霜", "面霜", 0.0), ("面霜。", "面", 0.5), ("", "", 0.0), ("最低价", "最低假", 1 / 3), ("上链接", "", 1.0)],
)
def test_cer(ref: str, hyp: str, expected: float) -> None:
    assert cer(ref, hyp) == pytest.approx(expected)


def test_punctuation_and_spaces_are_not_counted() -> None:
    assert cer_counts("家人们，上链接！", "家人们 上链接") == (0, 6)
