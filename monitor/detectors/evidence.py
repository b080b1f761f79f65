"""Helpers shared by detectors to attach evidence to findings."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

__all__ = ["nearest_snapshot"]


def nearest_snapshot(snapshots: Sequence[tuple[float, str]], time: float) -> str | None:
    """The snapshot taken closest to ``time``; ``snapshots`` is ``(time, name)`` sorted by time."""
    if not snapshots:
        return None
    i = bisect.bisect_left(snapshots, (time, ""))
    return min(snapshots[max(0, i - 1) : i + 1], key=lambda item: abs(item[0] - time))[1]
