"""Fusing rule hits with a learned claim classifier.

Rules stay the source of truth; the classifier can only add confidence or
raise a classifier-only ``review`` hit. With rule confidence ``c`` and the
classifier's probability ``p`` for the same category:

* agreement (``p >= agree_threshold``): ``c' = 1 - (1 - c) * (1 - weight * p)``
  (a noisy-OR: never lower than ``c``, never above 1);
* disagreement: ``c`` is kept unchanged;
* no rule hit and ``p`` at or above the category's threshold (``category_thresholds``, else
  ``alone_threshold``): a ``review`` hit with rule id
  ``classifier:<category>``, span of the whole text, confidence ``alone_scale * p``.

A ``pass`` hit counts as a rule hit: permitted wording (an approved 保健食品 function name, a
required disclaimer) keeps the classifier from raising its own review in that category; the engine then
drops it, so it never becomes a finding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from monitor.detectors.claims.hits import ClaimHit
from monitor.detectors.claims.schema import CLAIM_CATEGORIES

__all__ = ["ClaimClassifier", "FusionConfig", "fuse", "fuse_confidence"]


class ClaimClassifier(Protocol):
    name: str
    """Which model this is, for findings' provenance."""

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities ``[len(texts), len(CLAIM_CATEGORIES)]``, columns in CLAIM_CATEGORIES order."""
        ...


@dataclass(frozen=True, slots=True)
class FusionConfig:
    agree_threshold: float = 0.5
    """Probability from which the classifier counts as agreeing with a rule hit."""
    weight: float = 0.5
    """How strongly an agreeing classifier raises a rule hit's confidence (0..1)."""
    alone_threshold: float = 0.85
    """Probability from which a classifier-only detection becomes a review hit."""
    category_thresholds: Mapping[str, float] = field(default_factory=dict)
    """Per-category overrides of ``alone_threshold`` (a trained artefact ships its own)."""
    alone_scale: float = 0.8
    """Confidence of a classifier-only hit, as a fraction of its probability."""


def fuse_confidence(confidence: float, probability: float, config: FusionConfig) -> float:
    """Raise a rule hit's confidence when the classifier agrees; see the module docstring."""
    if probability < config.agree_threshold:
        return confidence
    return round(1.0 - (1.0 - confidence) * (1.0 - config.weight * probability), 4)


def fuse(
    text: str,
    hits: Sequence[ClaimHit],
    probabilities: np.ndarray,
    basis: Mapping[str, str],
    config: FusionConfig,
) -> list[ClaimHit]:
    """Fuse one text's rule hits with its row of classifier probabilities."""

    probs = np.asarray(probabilities, dtype=float).reshape(-1)
    if probs.shape != (len(CLAIM_CATEGORIES),):
        raise ValueError(f"classifier row must have {len(CLAIM_CATEGORIES)} probabilities, got shape {probs.shape}")
    index = {c: i for i, c in enumerate(CLAIM_CATEGORIES)}
    fused = [
        replace(h, confidence=fuse_confidence(h.confidence, float(probs[index[h.category]]), config)) for h in hits
    ]
    seen = {h.category for h in hits}
    for category, p in zip(CLAIM_CATEGORIES, probs, strict=True):
        threshold = config.category_thresholds.get(category, config.alone_threshold)
        if category in seen or p < threshold or not text.strip():
            continue
        fused.append(
            ClaimHit(
                category=category,
                risk="review",
                span=(0, len(text)),
                confidence=round(min(1.0, config.alone_scale * float(p)), 4),
                basis=basis.get(category, ""),
                rule=f"classifier:{category}",
                matched=text,
                details={"via": "classifier", "probability": round(float(p), 4)},
            )
        )
    return sorted(fused, key=lambda h: (h.span, h.category))
