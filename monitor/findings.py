"""Findings: the one output type every detector produces and every sink consumes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

__all__ = [
    "CATEGORIES", "CLAIM_CATEGORIES", "OVERLAP_NOTE", "Evidence", "Finding", "Risk", "SecondOpinion", "Source",
    "with_provenance",
]

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

OVERLAP_NOTE = "抢话/叠音 spoken over another voice"
"""The evidence note of a claim spoken while another voice talked (``signals.overlap_note``)."""


@dataclass(frozen=True, slots=True)
class SecondOpinion:
    """An LLM judge's reading of a finding (``livemon … --judge URL``); see ``docs/judge.md``."""

    verdict: Literal["violation", "not_violation", "unsure"]
    category: str
    """The category the judge names (``none`` when it sees no violation)."""
    rationale: str
    """A short reason in Chinese citing the article; written by a model that read the stream: hostile."""
    confidence: float
    model: str
    prompt_version: str
    risk_before: Risk
    """The finding's risk as the rules and classifier made it (its ``risk`` is the risk after the judge)."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a human reviewer needs to check a finding."""

    snapshot: str | None = None
    """Path of a JPEG frame snapshot, relative to the report or absolute."""
    context: str = ""
    """Transcript or on-screen text around the finding."""
    signals: dict[str, Any] = field(default_factory=dict)
    """Detector-specific measurements (scores, ratios, label coverage...)."""
    clip: str | None = None
    """Path of an MP4 clip of the stream around the finding (made only when asked for)."""
    clip_start: float | None = None
    """The stream time, in seconds, at which the clip begins (a player seeks to ``start - clip_start``)."""
    judge: SecondOpinion | None = None
    """The LLM judge's second opinion, when one was asked for and given."""


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
    provenance: Mapping[str, Any] = field(default_factory=dict)
    """How it was made: livemon version, model ids, rule-pack versions, thresholds."""
    wall_time: str | None = None
    """UTC wall-clock time (ISO 8601) at which a watched room's stream reached ``start``; ``start`` and ``end``
    stay stream seconds. ``None`` for a recording scanned after the fact."""

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown finding category {self.category!r}; expected one of {CATEGORIES}")
        if self.risk not in RISK_ORDER:
            raise ValueError(f"unknown risk {self.risk!r}; expected block, review or pass")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be within [0, 1], got {self.confidence}")

    @property
    def id(self) -> str:
        """Stable identity: the same stream, category, rule, source and times give the same id."""
        key = "\x1f".join((self.stream, self.category, self.rule, self.source, f"{self.start:.2f}", f"{self.end:.2f}"))
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data; a finding without a clip has no clip fields, one without a wall-clock
        time no ``wall_time``, one without a second opinion no ``judge`` field (outputs without them stay as they
        were)."""
        data = {"id": self.id, **asdict(self)}
        data["span"] = list(self.span) if self.span else None
        data["provenance"] = dict(self.provenance)
        if self.evidence.clip is None:
            del data["evidence"]["clip"], data["evidence"]["clip_start"]
        if self.wall_time is None:
            del data["wall_time"]
        if self.evidence.judge is None:
            del data["evidence"]["judge"]
        return data


def with_provenance(findings: Iterable[Finding], provenance: Mapping[str, Any]) -> list[Finding]:
    """The findings with ``provenance`` recorded in each."""
    return [replace(f, provenance=provenance) for f in findings]
