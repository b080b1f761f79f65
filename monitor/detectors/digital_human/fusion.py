"""Fuse the signals into one AI-likelihood with a logistic model.

``likelihood = sigmoid(bias + sum_i w_i * (2 * s_i - 1))`` over the judged signals
``s_i``; a signal that could not be judged contributes nothing (as if it said 0.5).
The weights are set by hand from how reliable each cue is expected to be on real
streams (see docs/digital_human.md); only the decision threshold is calibrated on
the synthetic benchmark.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitor.detectors.digital_human.signal import Signal

__all__ = ["DEFAULT_WEIGHTS", "FACE_SIGNALS", "Fusion", "fuse"]

DEFAULT_WEIGHTS: Mapping[str, float] = {
    "loop": 2.0,
    "blink": 1.5,
    "forgery_model": 1.5,
    "pose_jitter": 1.0,
    "mouth_sync": 0.75,
    "voice": 0.5,
}
FACE_SIGNALS = frozenset({"loop", "blink", "pose_jitter", "mouth_sync", "forgery_model"})
"""Signals that look at the host's face; at least ``min_face_signals`` of them must be judged."""


@dataclass(frozen=True, slots=True)
class Fusion:
    """The fused likelihood, or ``None`` with the reason when too few signals were judged."""

    likelihood: float | None
    reason: str = ""
    contributions: tuple[tuple[str, float], ...] = ()


def fuse(
    signals: Sequence[Signal],
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    bias: float = 0.0,
    min_face_signals: int = 2,
) -> Fusion:
    """Weighted logistic fusion of judged signals; unknown signal names weigh 1.0."""
    judged = [s for s in signals if s.score is not None]
    face = sum(s.name in FACE_SIGNALS for s in judged)
    if face < min_face_signals:
        return Fusion(None, f"only {face} face signal(s) could be judged; need {min_face_signals}")
    parts = tuple((s.name, weights.get(s.name, 1.0) * (2.0 * float(s.score or 0.0) - 1.0)) for s in judged)
    z = bias + sum(v for _, v in parts)
    return Fusion(1.0 / (1.0 + math.exp(-z)), "", tuple((n, round(v, 3)) for n, v in parts))
