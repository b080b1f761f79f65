"""Grouped, by-site checks of the rule packs on the real TRAIN split, for use while writing rules.

The train sites are dealt into :data:`FOLDS` folds by a hash of the site. Two measures:

* **held-out folds.** Folds :data:`DEV_FOLDS` are the *dev* sites: rules are written by reading
  misses of the other folds only (``misses`` lists those and refuses the dev folds), and the dev
  folds are scored, never read, to see whether a change carries to sites it was not written from.
* **leave-one-fold-out credit.** A rule hit on a line of fold *k* is credited only when the same
  rule unit also fires on a violating line of another fold: a keyword rule's unit is the keyword
  it matched, a regex or price rule's unit is the rule. A word copied from one site's list, that
  no other site uses, would not exist had that fold been held out, so it earns nothing there.
  Classifier-only hits are credited as they are (the shipped head never saw a real line).

The test split is never touched here.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.claims.corpus import CATEGORIES
from benchmarks.claims.evaluate import Scores, flagged, score
from benchmarks.claims.real.corpus import Line
from monitor.detectors.claims import ClaimEngine, ClaimHit
from monitor.text import normalise

__all__ = ["DEV_FOLDS", "FOLDS", "Scored", "credited", "fold_of", "reading_lines", "scored"]

FOLDS = 5
DEV_FOLDS = (3, 4)
"""Train folds held out from reading while the packs are widened (scored only)."""
_SALT = "h12r-fold"


def fold_of(site: str) -> int:
    """The fold of a site (stable: a hash of its name)."""
    return int(hashlib.sha1(f"{_SALT}:{site}".encode()).hexdigest()[:8], 16) % FOLDS


def reading_lines(lines: Sequence[Line]) -> list[Line]:
    """Train lines that may be read while writing rules: not the test split, not the dev folds."""
    return [line for line in lines if line.split == "train" and fold_of(line.site) not in DEV_FOLDS]


def _unit(engine: ClaimEngine, hit: ClaimHit) -> str:
    """What a hit rests on: the keyword it matched for a keyword rule, else the rule."""
    if hit.rule.startswith("classifier:"):
        return hit.rule
    keyword = hit.details.get("keyword")
    if keyword:
        return f"{hit.rule}|{normalise(str(keyword)).text}"
    for pack in engine.packs:
        for rule in pack.rules:
            if rule.id == hit.rule and rule.spec.keywords and not rule.spec.regex:
                return f"{hit.rule}|{normalise(hit.matched).text}"
    return hit.rule


def credited(
    engine: ClaimEngine, lines: Sequence[Line], hits: Sequence[Sequence[ClaimHit]]
) -> list[set[str]]:
    """Flagged categories per line, keeping only hits whose unit also fires on a violating line of another fold."""
    folds_of_unit: dict[str, set[int]] = defaultdict(set)
    units = [[(h, _unit(engine, h)) for h in row] for row in hits]
    for line, row in zip(lines, units, strict=True):
        if line.label == "violating":
            for _, unit in row:
                folds_of_unit[unit].add(fold_of(line.site))
    out = []
    for line, row in zip(lines, units, strict=True):
        k = fold_of(line.site)
        out.append(
            {h.category for h, unit in row if unit.startswith("classifier:") or folds_of_unit[unit] - {k}}
        )
    return out


@dataclass(frozen=True, slots=True)
class Scored:
    """One system's figures on one set of lines."""

    lines: int
    micro_f1: float
    precision: float
    recall: float
    violating_found: float
    compliant_flagged: float
    per_category: dict[str, tuple[int, int]]
    """Category → (found, lines)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "micro_f1": round(self.micro_f1, 4),
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "violating_found": round(self.violating_found, 4),
            "compliant_flagged": round(self.compliant_flagged, 4),
            "per_category": {c: list(v) for c, v in self.per_category.items()},
        }


def scored(
    lines: Sequence[Line], predicted: Sequence[set[str]], companions: frozenset[frozenset[str]]
) -> Scored:
    """Micro scores, share of violating lines found and of compliant lines flagged."""
    s: Scores = score([line.categories for line in lines], predicted, companions)
    violating = [i for i, line in enumerate(lines) if line.label == "violating"]
    per = {
        c: (sum(c in predicted[i] for i in rows), len(rows))
        for c in CATEGORIES
        if (rows := [i for i in violating if c in lines[i].categories])
    }
    return Scored(
        lines=len(lines),
        micro_f1=s.micro.f1,
        precision=s.micro.precision,
        recall=s.micro.recall,
        violating_found=sum(bool(predicted[i]) for i in violating) / len(violating) if violating else 0.0,
        compliant_flagged=s.clean_flag_rate,
        per_category=per,
    )


def predicted_sets(hits: Sequence[Sequence[ClaimHit]]) -> list[set[str]]:
    """Flagged categories per line."""
    return [flagged(row) for row in hits]
