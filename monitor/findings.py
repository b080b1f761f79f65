"""Findings: the one output type every detector produces and every sink consumes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["CATEGORIES", "CLAIM_CATEGORIES", "Evidence", "Finding", "Risk", "Source"]

Risk = Literal["block", "review", "pass"]
Source = Literal["speech", "screen", "metadata", "video", "audio", "room"]

CATEGORIES: tuple[str, ...] = (
    "absolute_terms",
    "medical_claims",
    "false_efficacy",
    "price_fraud",
    "fake_scarcity",
    "fake_data",
    "traffic_diversion",
    "false_endorsement",
    "counterfeit",
    "disparagement",
    "dh_undisclosed",
    "dh_label_intermittent",
)

CLAIM_CATEGORIES: tuple[str, ...] = tuple(c for c in CATEGORIES if not c.startswith("dh_"))
"""The ten false-marketing categories found in text (speech or screen)."""

RISK_ORDER: dict[str, int] = {"block": 2, "review": 1, "pass": 0}


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a human reviewer needs to check a finding."""

    snapshot: str | None = None
    """Path of a JPEG frame snapshot, relative to the report or absolute."""
    context: str = ""
    """Transcript or on-screen text around the finding."""
    signals: dict[str, Any] = field(default_factory=dict)
    """Detector-specific measurements (scores, ratios, label coverage...)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One suspected violation, with its legal basis and evidence."""

    category: str
    risk: Risk
    start: float
    end: float
    source: Source
    text: str
    confidence: float
    basis: str
    rule: str = ""
    span: tuple[int, int] | None = None
    stream: str = ""
    evidence: Evidence = field(default_factory=Evidence)

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown finding category {self.category!r}; expected one of {CATEGORIES}")
        if self.risk not in RISK_ORDER:
            raise ValueError(f"unknown risk {self.risk!r}; expected block, review or pass")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be within [0, 1], got {self.confidence}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["span"] = list(self.span) if self.span else None
        return data
