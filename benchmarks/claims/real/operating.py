"""Fusion operating points on the real TRAIN split, by site folds: is another point justified?

The engine fuses rules with the classifier at a *text* point (``check-text``, written words) and a
*speech* point (transcripts, looser classifier-only thresholds). Here both points, and the text point
with every classifier-alone threshold raised by ``delta``, are scored on the folds read while writing
rules and on the dev folds (never read). A point is worth shipping only when it wins on the dev folds
after being chosen on the read folds. The test split is never touched here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from benchmarks.claims.real.corpus import Line
from benchmarks.claims.real.cv import DEV_FOLDS, fold_of, predicted_sets, scored
from monitor.detectors.claims import ClaimEngine
from monitor.detectors.claims.fusion import FusionConfig
from monitor.detectors.claims.schema import CLAIM_CATEGORIES

__all__ = ["DELTAS", "operating_points", "raised"]

DELTAS = (0.0, 0.02, 0.04, 0.06, 0.08, 0.1)
"""Raises of every classifier-alone threshold of the text point that are tried."""


def raised(config: FusionConfig, delta: float) -> FusionConfig:
    """``config`` with every category's classifier-alone threshold raised by ``delta`` (at most 0.995)."""
    return replace(
        config,
        category_thresholds={
            c: min(0.995, config.category_thresholds.get(c, config.alone_threshold) + delta) for c in CLAIM_CATEGORIES
        },
    )


def operating_points(
    engine: ClaimEngine, lines: Sequence[Line], companions: frozenset[frozenset[str]]
) -> dict[str, dict[str, Any]]:
    """Scores on the read and dev folds of each point: ``speech``, then ``text +delta`` for each of :data:`DELTAS`."""
    texts = [line.text for line in lines]
    parts = {
        "read folds": [i for i, line in enumerate(lines) if fold_of(line.site) not in DEV_FOLDS],
        "dev folds": [i for i, line in enumerate(lines) if fold_of(line.site) in DEV_FOLDS],
    }
    points: dict[str, list[set[str]]] = {"speech": predicted_sets(engine.check_many(texts, "speech"))}
    for delta in DELTAS:
        moved = ClaimEngine(engine.packs, classifier=engine.classifier, fusion=raised(engine.fusion, delta))
        points[f"text +{delta:.2f}"] = predicted_sets(moved.check_many(texts, "text"))
    return {
        name: {
            part: scored([lines[i] for i in rows], [predicted[i] for i in rows], companions).as_dict()
            for part, rows in parts.items()
        }
        for name, predicted in points.items()
    }
