"""Judging a soak run's samples (pure): memory held flat, no growing backlog.

**Memory.** The baseline is the process's median RSS over the ``window_s`` from ``baseline_s`` on (the
minute after the first: models loaded, queues and rings filled); the end is the median over the last
``window_s`` while rooms were still watched. Kept when ``end ≤ baseline · (1 + tolerance)``. Medians over a
minute, not single samples: a watch hands its allocator's free pages back once a minute, and its RSS
rises and falls by up to 150 MiB within that minute, so two single samples would read the phase of that
cycle as growth or shrinkage. The least-squares slope of RSS after the baseline (MiB per 10 min) and the
peak are reported beside it.

**Backlog.** Work handed to the models and not done yet, all rooms together, sampled through the run.
Growing when the mean backlog of the last ``window_s`` of the run exceeds that of the ``window_s``
after the baseline by more than ``slack`` items, or when claim-check latency grows by more than
``max_latency_growth_s`` per 10 minutes (least squares over the run).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "BacklogVerdict", "MemoryVerdict", "backlog_verdict", "memory_verdict", "not_reading", "per_ten_minutes",
    "ratio_from",
]

TEN_MINUTES = 600.0


def per_ten_minutes(times: Sequence[float], values: Sequence[float]) -> float:
    """Least-squares slope of ``values`` over ``times`` (seconds), per 10 minutes; 0.0 with under 3 points."""
    if len(times) < 3 or max(times) - min(times) <= 0:
        return 0.0
    return float(np.polyfit(np.asarray(times, float), np.asarray(values, float), 1)[0]) * TEN_MINUTES


@dataclass(frozen=True, slots=True)
class MemoryVerdict:
    baseline_at_s: float
    baseline_mib: float
    end_at_s: float
    end_mib: float
    ratio: float
    """End over baseline."""
    peak_mib: float
    slope_mib_per_10min: float
    tolerance: float
    kept: bool


def memory_verdict(
    times: Sequence[float], rss_mib: Sequence[float], baseline_s: float = 60.0, tolerance: float = 0.10,
    window_s: float = 60.0,
) -> MemoryVerdict:
    """Judge RSS samples (``times`` in seconds since the rooms started, ascending)."""
    if len(times) != len(rss_mib) or not times:
        raise ValueError(f"need as many RSS samples as times, at least one; got {len(rss_mib)} and {len(times)}")
    first = next((i for i, t in enumerate(times) if t >= baseline_s), None)
    if first is None:
        raise ValueError(f"no sample at or after {baseline_s:g} s: the run ended at {times[-1]:.0f} s")
    baseline = float(np.median([m for t, m in zip(times, rss_mib, strict=True)
                                if times[first] <= t < times[first] + window_s]))
    end = float(np.median([m for t, m in zip(times, rss_mib, strict=True) if t > times[-1] - window_s]))
    return MemoryVerdict(
        baseline_at_s=round(times[first], 1),
        baseline_mib=round(baseline, 1),
        end_at_s=round(times[-1], 1),
        end_mib=round(end, 1),
        ratio=round(end / baseline, 4),
        peak_mib=round(max(rss_mib), 1),
        slope_mib_per_10min=round(per_ten_minutes(times[first:], rss_mib[first:]), 2),
        tolerance=tolerance,
        kept=end <= baseline * (1 + tolerance),
    )


@dataclass(frozen=True, slots=True)
class BacklogVerdict:
    start_mean: float
    """Mean backlog over the ``window_s`` after the baseline."""
    end_mean: float
    """Mean backlog over the last ``window_s`` of the run."""
    max: int
    p95: float
    slope_per_10min: float
    latency_growth_s_per_10min: float
    growing: bool
    reason: str


def backlog_verdict(
    times: Sequence[float], backlog: Sequence[int], latencies: Sequence[tuple[float, float]], *,
    baseline_s: float = 60.0, window_s: float = 60.0, slack: float = 2.0, max_latency_growth_s: float = 1.0,
) -> BacklogVerdict:
    """Judge backlog samples (``times`` ascending) and (time, latency) pairs of the items done."""
    if len(times) != len(backlog) or not times:
        raise ValueError(f"need as many backlog samples as times, at least one; got {len(backlog)} and {len(times)}")
    after = [(t, b) for t, b in zip(times, backlog, strict=True) if t >= baseline_s] or list(zip(times, backlog,
                                                                                                strict=True))
    t0, t1 = after[0][0], after[-1][0]
    start = [b for t, b in after if t < t0 + window_s]
    end = [b for t, b in after if t > t1 - window_s]
    start_mean, end_mean = float(np.mean(start)), float(np.mean(end))
    growth = per_ten_minutes([t for t, _ in latencies], [lat for _, lat in latencies])
    growing, reason = False, "not growing"
    if end_mean > start_mean + slack:
        growing, reason = True, f"backlog at the end {end_mean:.1f} against {start_mean:.1f} after the first minute"
    elif growth > max_latency_growth_s:
        growing, reason = True, f"latency grows {growth:.2f} s per 10 min (bound {max_latency_growth_s:g})"
    return BacklogVerdict(
        start_mean=round(start_mean, 2),
        end_mean=round(end_mean, 2),
        max=int(max(backlog)),
        p95=round(float(np.percentile(np.asarray(backlog, float), 95)), 2),
        slope_per_10min=round(per_ten_minutes([t for t, _ in after], [b for _, b in after]), 2),
        latency_growth_s_per_10min=round(growth, 3),
        growing=growing,
        reason=reason,
    )


def not_reading(times: Sequence[float], stream_s: Sequence[float], min_s: float = 20.0) -> list[tuple[float, float]]:
    """Spans of the run (seconds) of at least ``min_s`` during which a room's stream time did not advance."""
    spans: list[tuple[float, float]] = []
    since: float | None = None
    for i in range(1, len(times)):
        if stream_s[i] <= stream_s[i - 1]:
            since = times[i - 1] if since is None else since
            continue
        if since is not None and times[i - 1] - since >= min_s:
            spans.append((since, times[i - 1]))
        since = None
    if since is not None and times[-1] - since >= min_s:
        spans.append((since, times[-1]))
    return spans


def ratio_from(times: Sequence[float], values: Sequence[float], from_s: float) -> tuple[float, float]:
    """(time of the first sample at or after ``from_s``, last value over that sample's value)."""
    first = next((i for i, t in enumerate(times) if t >= from_s), len(times) - 1)
    return times[first], values[-1] / values[first]
