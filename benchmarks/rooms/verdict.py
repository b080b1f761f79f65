"""Pure judgement of a live run: latency percentiles, backlog growth and whether rooms were kept.

A room count is *kept in real time* when, for speech and for screen text alike,
every item came back before the drain deadline, the p95 latency stays under the
bound, and latency does not climb through the run (a climbing latency is a
growing backlog: the run only looked fine because it was short).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from monitor.scheduling import percentile

__all__ = ["KeepRule", "LatencySummary", "keeps_up", "latency_slope", "summarise"]


@dataclass(frozen=True, slots=True)
class KeepRule:
    """When a room count counts as kept in real time."""

    max_p95_s: float = 5.0
    """p95 latency bound, seconds from an utterance's end (or a frame's time) to its findings."""
    max_slope: float = 0.1
    """Latency growth, seconds per second of run, above which the backlog counts as growing."""


@dataclass(frozen=True, slots=True)
class LatencySummary:
    """Latencies of one kind of item in one run."""

    expected: int
    completed: int
    p50: float
    p95: float
    max: float
    slope: float
    """Least-squares growth of latency over the run (s per s)."""

    @property
    def complete(self) -> bool:
        return self.completed == self.expected


def latency_slope(dues: Sequence[float], latencies: Sequence[float]) -> float:
    """Least-squares slope of latency against arrival time; 0.0 with under 3 points or no spread."""
    if len(dues) < 3 or max(dues) - min(dues) <= 0:
        return 0.0
    return float(np.polyfit(np.asarray(dues, float), np.asarray(latencies, float), 1)[0])


def summarise(timings: Sequence[tuple[float, float]], expected: int) -> LatencySummary:
    """``timings`` are (arrival time, latency) pairs of the completed items."""
    if len(timings) > expected:
        raise ValueError(f"{len(timings)} completed items, but only {expected} were expected")
    dues = [d for d, _ in timings]
    lat = [latency for _, latency in timings]
    return LatencySummary(
        expected=expected,
        completed=len(lat),
        p50=percentile(lat, 50),
        p95=percentile(lat, 95),
        max=max(lat, default=0.0),
        slope=latency_slope(dues, lat),
    )


def keeps_up(summaries: dict[str, LatencySummary], rule: KeepRule) -> tuple[bool, str]:
    """(kept, reason) over every kind of item; the reason names the first failure."""
    for kind, s in summaries.items():
        if not s.complete:
            return False, f"{kind}: {s.expected - s.completed} of {s.expected} items not back by the deadline"
        if s.p95 > rule.max_p95_s:
            return False, f"{kind}: p95 {s.p95:.2f} s over the {rule.max_p95_s:g} s bound"
        if s.slope > rule.max_slope:
            return False, f"{kind}: latency grows {s.slope:.3f} s/s (backlog growing; bound {rule.max_slope:g})"
    return True, "kept"
