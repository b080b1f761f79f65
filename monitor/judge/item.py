"""What the judge is shown of one finding: the text, the lines around it, the rule and its legal basis."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from monitor.detectors.claims import ClaimHit
from monitor.findings import Finding

__all__ = ["MAX_CONTEXT_CHARS", "MAX_TEXT_CHARS", "JudgeItem"]

MAX_TEXT_CHARS = 400
MAX_CONTEXT_CHARS = 800
"""Longer texts are cut: a long caption or transcript line would only slow the model down."""

ItemSource = Literal["speech", "screen", "text"]


@dataclass(frozen=True, slots=True)
class JudgeItem:
    """One finding as the judge sees it (every string but ``basis`` and ``rule_description`` is hostile)."""

    source: ItemSource
    category: str
    risk: str
    rule: str
    rule_description: str
    basis: str
    matched: str
    text: str
    context: str = ""

    @classmethod
    def from_finding(cls, finding: Finding, descriptions: Mapping[str, str]) -> JudgeItem:
        """A claim finding (speech or screen) with its evidence context and its rule's description."""
        matched = finding.evidence.signals.get("matched")
        context = finding.evidence.context if finding.evidence.context != finding.text else ""
        return cls(
            source="speech" if finding.source == "speech" else "screen",
            category=finding.category, risk=finding.risk, rule=finding.rule,
            rule_description=descriptions.get(finding.rule, ""), basis=finding.basis,
            matched=matched if isinstance(matched, str) else "", text=finding.text, context=context,
        )

    @classmethod
    def from_hit(cls, line: str, hit: ClaimHit, context: str, description: str, source: ItemSource) -> JudgeItem:
        """A ``check-text`` hit on ``line``, with the neighbouring lines as context."""
        return cls(
            source=source, category=hit.category, risk=hit.risk, rule=hit.rule, rule_description=description,
            basis=hit.basis, matched=hit.matched, text=line, context=context,
        )

    def fields(self) -> dict[str, Any]:
        """The JSON object the model reads (texts cut to :data:`MAX_TEXT_CHARS` / :data:`MAX_CONTEXT_CHARS`)."""
        return {
            "source": self.source, "category": self.category, "risk": self.risk, "rule": self.rule,
            "rule_description": self.rule_description, "basis": self.basis,
            "matched": self.matched[:MAX_TEXT_CHARS], "text": self.text[:MAX_TEXT_CHARS],
            "context": self.context[:MAX_CONTEXT_CHARS],
        }
