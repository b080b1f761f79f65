"""The common result of every AI-likelihood signal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Signal", "clip01"]


@dataclass(frozen=True, slots=True)
class Signal:
    """One cue that the host is AI-generated: ``score`` in [0, 1] (1 = AI-like), ``None`` when not judged."""

    name: str
    score: float | None
    reason: str = ""
    """Why the score is what it is, or why it could not be judged."""
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.score is not None and not 0.0 <= self.score <= 1.0:
            raise ValueError(f"signal {self.name} score must be within [0, 1], got {self.score}")

    @classmethod
    def not_judged(cls, name: str, reason: str, **evidence: Any) -> Signal:
        return cls(name, None, reason, evidence)

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "reason": self.reason, **self.evidence}


def clip01(x: float) -> float:
    """``x`` limited to [0, 1] (NaN becomes 0)."""
    return 0.0 if x != x else min(1.0, max(0.0, float(x)))
