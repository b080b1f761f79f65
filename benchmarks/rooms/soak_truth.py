"""Which planted claims a soak room must find, and how its findings compare (pure).

The demo room's ground truth (:class:`monitor.demo.truth.StreamTruth`) plants each claim at a beat:
a spoken claim over ``[speech_start, speech_end)``, an on-screen one over ``[start, end)``, one
appearance per label. Looped, loop ``i`` repeats every appearance ``i · loop_s`` seconds later in
stream time. A room joins the live stream at stream time ``t0`` (the start of the first segment its
server sent), and its own clock (a finding's ``start``/``end``) counts from there across reconnects,
so an appearance is at room time ``stream time − t0``.

An appearance is **expected** when the segments the room was sent cover it whole (it is not inside,
nor cut by, an outage or the room's start or end). Each finding of a claim category is matched to the
nearest appearance of its category and source that it overlaps (within ``pad`` seconds): an expected
appearance with no finding is *missing*, one with more than one has *duplicates*; a finding of an
appearance that was cut by an outage is *at an edge* (neither required nor wrong), and a finding
that overlaps no appearance of its category is *extra*.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.demo.truth import StreamTruth
from monitor.findings import CLAIM_CATEGORIES

__all__ = ["Appearance", "Completeness", "appearances", "covered_spans", "match_findings", "outside"]

CLAIM_SOURCES = ("speech", "screen")


@dataclass(frozen=True, slots=True)
class Appearance:
    """One planted claim in one loop, in the room's time."""

    loop: int
    beat: int
    category: str
    source: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Completeness:
    """How a room's claim findings compare with the appearances it was sent."""

    expected: int
    found_once: int
    missing: list[Appearance] = field(default_factory=list)
    duplicated: list[tuple[Appearance, int]] = field(default_factory=list)
    """Expected appearances found more than once, with how many findings."""
    at_edges: int = 0
    """Findings of appearances cut by an outage or the room's start or end."""
    extra: list[dict[str, Any]] = field(default_factory=list)
    """Claim findings that overlap no appearance of their category (start, end, category, source, text)."""

    @property
    def complete(self) -> bool:
        return not self.missing and not self.duplicated and not self.extra


def appearances(truth: StreamTruth, loop_s: float, t0: float, until: float) -> list[Appearance]:
    """Every planted claim of every loop that overlaps room time ``[0, until)``, for a room that joined at ``t0``."""
    found: list[Appearance] = []
    first, last = int(t0 // loop_s), int((t0 + until) // loop_s)
    for loop in range(first, last + 1):
        shift = loop * loop_s - t0
        for beat in truth.beats:
            spans: list[tuple[str, Sequence[str], float | None, float | None]] = [
                ("speech", beat.speech_labels, beat.speech_start, beat.speech_end),
                ("screen", beat.screen_labels, beat.start, beat.end),
            ]
            for source, labels, start, end in spans:
                if start is None or end is None:
                    continue
                for category in labels:
                    a = Appearance(loop, beat.index, category, source, start + shift, end + shift)
                    if a.end > 0 and a.start < until:
                        found.append(a)
    return sorted(found, key=lambda a: (a.start, a.source, a.category))


def covered_spans(segments: Iterable[tuple[float, float]], slack: float = 0.05) -> list[tuple[float, float]]:
    """Merge ``(start, end)`` spans (in any order) that touch within ``slack`` seconds."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(segments):
        if merged and start <= merged[-1][1] + slack:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def outside(outages: Iterable[tuple[float, float]], until: float, margin: float) -> list[tuple[float, float]]:
    """The spans of ``[0, until)`` at least ``margin`` seconds clear of every ``(start, end)`` outage."""
    spans: list[tuple[float, float]] = []
    at = 0.0
    for start, end in sorted(outages):
        if start - margin > at:
            spans.append((at, start - margin))
        at = max(at, end + margin)
    if at < until:
        spans.append((at, until))
    return spans


def _inside(a: Appearance, spans: Sequence[tuple[float, float]]) -> bool:
    return any(start <= a.start and a.end <= end for start, end in spans)


def match_findings(
    planted: Sequence[Appearance], spans: Sequence[tuple[float, float]], findings: Iterable[Mapping[str, Any]],
    pad: float = 1.5,
) -> Completeness:
    """Compare a room's ``findings`` (JSONL objects) with the ``planted`` appearances, given the ``spans`` sent."""
    counts = dict.fromkeys(planted, 0)
    extra: list[dict[str, Any]] = []
    for f in findings:
        if f.get("source") not in CLAIM_SOURCES or f.get("category") not in CLAIM_CATEGORIES:
            continue
        near = [a for a in planted if a.category == f["category"] and a.source == f["source"]
                and f["start"] <= a.end + pad and f["end"] >= a.start - pad]
        if not near:
            extra.append({k: f.get(k) for k in ("start", "end", "category", "source", "text")})
            continue
        counts[min(near, key=lambda a: abs(a.start - f["start"]))] += 1
    expected = [a for a in planted if _inside(a, spans)]
    required = set(expected)
    return Completeness(
        expected=len(expected),
        found_once=sum(1 for a in expected if counts[a] == 1),
        missing=[a for a in expected if counts[a] == 0],
        duplicated=[(a, counts[a]) for a in expected if counts[a] > 1],
        at_edges=sum(n for a, n in counts.items() if a not in required),
        extra=extra,
    )
