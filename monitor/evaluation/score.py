"""Findings against labelled time segments: per category and per source, with time overlap.

Truth is JSON Lines, one labelled segment per line::

    {"stream": "room.mp4", "category": "price_fraud", "start": 34.5, "end": 38.0, "source": "speech"}
    {"stream": "room.mp4", "category": "clean", "start": 40.0, "end": 44.0}

``stream`` matches a finding's stream by full path or by file name; ``source`` (speech or
screen) is optional. A labelled claim is found when a finding of its category (and source,
if given) overlaps it, within ``pad`` seconds. A finding is correct when it overlaps a
labelled claim of its category. A ``clean`` segment is flagged when a finding (from its source,
if given) overlaps it by more than half a second, without the slack.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import numpy as np

from monitor.errors import ConfigError
from monitor.findings import CATEGORIES

__all__ = ["EvalResult", "TruthSegment", "read_truth", "score_findings"]

CLEAN = "clean"
CLEAN_OVERLAP = 0.5
"""Seconds a finding must overlap a clean segment to flag it (a neighbour's claim may touch its edge)."""


@dataclass(frozen=True, slots=True)
class TruthSegment:
    stream: str
    category: str
    start: float
    end: float
    source: str | None = None


def read_truth(path: Path) -> list[TruthSegment]:
    """Labelled segments from a JSONL file; a bad line is an error naming its number."""
    segments = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read the truth file {path}: {e}") from e
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            segment = TruthSegment(str(data["stream"]), str(data.get("category") or CLEAN), float(data["start"]),
                                   float(data["end"]), data.get("source"))
        except (ValueError, KeyError, TypeError) as e:
            raise ConfigError(f"truth file {path} line {number}: {e!r}; expected stream, category, start, end") from e
        if segment.category not in (*CATEGORIES, CLEAN):
            raise ConfigError(f"truth file {path} line {number}: unknown category {segment.category!r}")
        if segment.end < segment.start:
            raise ConfigError(f"truth file {path} line {number}: end {segment.end} is before start {segment.start}")
        segments.append(segment)
    if not segments:
        raise ConfigError(f"the truth file {path} has no labelled segment")
    return segments


@dataclass(slots=True)
class Counts:
    truth: int = 0
    found: int = 0
    findings: int = 0
    correct: int = 0

    def scores(self) -> dict[str, float | int | None]:
        precision = self.correct / self.findings if self.findings else None
        recall = self.found / self.truth if self.truth else None
        f1 = (2 * precision * recall / (precision + recall)) if precision and recall else (
            0.0 if precision is not None and recall is not None else None)
        return {"truth": self.truth, "found": self.found, "findings": self.findings, "correct": self.correct,
                "precision": _round(precision), "recall": _round(recall), "f1": _round(f1)}


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


@dataclass(slots=True)
class EvalResult:
    """Per category and per source scores, clean segments flagged, and timing of found claims."""

    by_category: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_source: dict[str, dict[str, Any]] = field(default_factory=dict)
    micro: dict[str, Any] = field(default_factory=dict)
    clean: dict[str, Any] = field(default_factory=dict)
    timing: dict[str, Any] = field(default_factory=dict)
    streams: int = 0
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    """Labelled category (or clean) → category of the findings that overlap it."""

    def to_dict(self) -> dict[str, Any]:
        return {"streams": self.streams, "micro": self.micro, "by_category": self.by_category,
                "by_source": self.by_source, "clean": self.clean, "timing": self.timing,
                "confusion": self.confusion}


def _same_stream(truth_stream: str, finding_stream: str) -> bool:
    return truth_stream == finding_stream or PurePath(truth_stream).name == PurePath(finding_stream).name


def _overlaps(segment: TruthSegment, finding: Mapping[str, Any], pad: float) -> bool:
    return bool(finding["start"] <= segment.end + pad and finding["end"] >= segment.start - pad)


def score_findings(
    truth: Sequence[TruthSegment], findings: Iterable[Mapping[str, Any]], *, pad: float = 1.0
) -> EvalResult:
    """Score ``findings`` (JSONL objects) of the labelled streams against ``truth``."""
    streams = {t.stream for t in truth}
    found = [f for f in findings if any(_same_stream(s, f["stream"]) for s in streams)]
    claims = [t for t in truth if t.category != CLEAN]
    cleans = [t for t in truth if t.category == CLEAN]
    per_category = {c: Counts() for c in sorted({t.category for t in claims} | {f["category"] for f in found})}
    per_source = {s: Counts() for s in ("speech", "screen")}
    offsets: list[float] = []
    confusion: dict[str, dict[str, int]] = {}

    def near(t: TruthSegment, f: Mapping[str, Any]) -> bool:
        return _same_stream(t.stream, f["stream"]) and _overlaps(t, f, pad)

    for t in claims:
        matches = [f for f in found if near(t, f) and f["category"] == t.category
                   and (t.source is None or f["source"] == t.source)]
        per_category[t.category].truth += 1
        if t.source in per_source:
            per_source[t.source].truth += 1
        if matches:
            per_category[t.category].found += 1
            if t.source in per_source:
                per_source[t.source].found += 1
            offsets.append(min(matches, key=lambda f: abs(f["start"] - t.start))["start"] - t.start)
    for f in found:
        correct = any(near(t, f) and f["category"] == t.category for t in claims)
        per_category[f["category"]].findings += 1
        per_category[f["category"]].correct += int(correct)
        if f["source"] in per_source:
            per_source[f["source"]].findings += 1
            per_source[f["source"]].correct += int(correct)
    total = Counts(*(sum(getattr(c, k) for c in per_category.values()) for k in ("truth", "found", "findings",
                                                                                  "correct")))
    def inside(t: TruthSegment, f: Mapping[str, Any]) -> bool:
        overlap = min(t.end, f["end"]) - max(t.start, f["start"])
        return _same_stream(t.stream, f["stream"]) and t.source in (None, f["source"]) and overlap > CLEAN_OVERLAP

    flagged = sum(1 for t in cleans if any(inside(t, f) for f in found))
    for t in truth:
        for f in found:
            if inside(t, f) if t.category == CLEAN else near(t, f):
                row = confusion.setdefault(t.category, {})
                row[f["category"]] = row.get(f["category"], 0) + 1
    absolute = np.abs(np.array(offsets)) if offsets else np.zeros(0)
    return EvalResult(
        by_category={c: counts.scores() for c, counts in per_category.items()},
        by_source={s: counts.scores() for s, counts in per_source.items() if counts.truth or counts.findings},
        micro=total.scores(),
        clean={"segments": len(cleans), "flagged": flagged,
               "flagged_share": _round(flagged / len(cleans)) if cleans else None},
        timing={"found": len(offsets),
                "median_abs_offset_s": _round(float(np.median(absolute))) if offsets else None,
                "p95_abs_offset_s": _round(float(np.percentile(absolute, 95))) if offsets else None},
        streams=len(streams),
        confusion=confusion,
    )
