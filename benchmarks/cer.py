"""Character error rate of a transcript against its text, ignoring punctuation and spaces."""

from __future__ import annotations

import re

__all__ = ["cer", "cer_counts"]

_IGNORED = re.compile(r"[\W_]")


def cer_counts(reference: str, hypothesis: str) -> tuple[int, int]:
    """Edits (Levenshtein, on characters) from ``reference`` to ``hypothesis``, and the reference's length."""
    ref, hyp = (_IGNORED.sub("", s) for s in (reference, hypothesis))
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1], len(ref)


def cer(reference: str, hypothesis: str) -> float:
    """Edits over the reference's length (0 for two empty texts)."""
    errors, length = cer_counts(reference, hypothesis)
    return errors / max(1, length)
