"""The claim engine's output type, shared by the rules, the classifier fusion and the detectors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ClaimHit"]


@dataclass(frozen=True, slots=True)
class ClaimHit:
    """One suspected false-marketing claim in a text."""

    category: str
    risk: str
    span: tuple[int, int]
    """``[start, end)`` in the ORIGINAL text."""
    confidence: float
    basis: str
    rule: str
    matched: str
    """The original text of the span."""
    details: dict[str, Any] = field(default_factory=dict)
    """E.g. ``via`` (``pinyin``, ``classifier``), ``keyword``, ``reference_price``, ``live_price``, ``ratio``."""
