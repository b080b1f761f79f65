"""Whisper segments re-cut into sentences, each timed at the pause nearest to where it should end.

Whisper often returns one segment for several sentences, more so in a short window. A finding
is timed by its line, and the claims engine reads one line at a time, so a segment is split
after each sentence-final mark (。！？!?). Each cut is placed where the characters before it
would end at an even speech rate, then moved to the nearest pause the VAD found (a boundary
between two of the chunk's speech spans) when one lies within ``snap_s`` seconds.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

__all__ = ["split_sentences"]

_SENTENCE_END = re.compile(r"(?<=[。！？!?])")
_SPOKEN = re.compile(r"[\W_]")


def _weight(text: str) -> int:
    return max(1, len(_SPOKEN.sub("", text)))


def split_sentences(
    start: float, end: float, text: str, pauses: Sequence[float] = (), snap_s: float = 1.0
) -> list[tuple[float, float, str]]:
    """``text`` (said from ``start`` to ``end``) as sentences with their times; ``pauses`` sorted, same clock."""
    parts = [p for p in (s.strip() for s in _SENTENCE_END.split(text)) if p]
    if len(parts) <= 1:
        return [(start, end, text.strip())] if text.strip() else []
    weights = [_weight(p) for p in parts]
    total = sum(weights)
    out, begin, said = [], start, 0
    for part, weight in zip(parts[:-1], weights[:-1], strict=True):
        said += weight
        cut = _snap(start + (end - start) * said / total, begin, end, pauses, snap_s)
        out.append((begin, cut, part))
        begin = cut
    out.append((begin, end, parts[-1]))
    return out


def _snap(estimate: float, low: float, high: float, pauses: Sequence[float], snap_s: float) -> float:
    """The pause strictly inside (low, high) nearest to ``estimate`` within ``snap_s``, else the estimate."""
    i = bisect.bisect_left(pauses, estimate)
    near = [p for p in pauses[max(0, i - 1) : i + 1] if low < p < high and abs(p - estimate) <= snap_s]
    return min(near, key=lambda p: abs(p - estimate)) if near else estimate
