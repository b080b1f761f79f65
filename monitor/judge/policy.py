"""How a verdict may move a finding's risk (``docs/judge.md``, "Risk rules").

- A ``block`` from the rules is never lowered: the judge's opinion is shown beside it.
- A ``review`` finding becomes ``pass`` on ``not_violation``, and ``block`` on ``violation`` of
  the same category; a violation of another category leaves it at ``review``.
- ``unsure``, or any verdict under ``min_confidence``, changes nothing; neither does a failed call.
- A ``pass`` finding stays ``pass``. The category, basis and evidence never change: the finding
  keeps what the rules and classifier found, and the opinion is added to its evidence.
"""

from __future__ import annotations

from typing import cast

from monitor.findings import RISK_ORDER, Risk
from monitor.judge.schema import Verdict

__all__ = ["DEFAULT_MIN_CONFIDENCE", "as_risk", "decide"]

DEFAULT_MIN_CONFIDENCE = 0.6


def decide(risk: Risk, category: str, verdict: Verdict, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> Risk:
    """The finding's risk after the judge (see the module docstring)."""
    if risk != "review" or verdict.verdict == "unsure" or verdict.confidence < min_confidence:
        return risk
    if verdict.verdict == "not_violation":
        return "pass"
    return "block" if verdict.category == category else "review"


def as_risk(value: str) -> Risk:
    """A claim hit's risk (a plain string) as a :data:`Risk`."""
    if value not in RISK_ORDER:
        raise ValueError(f"unknown risk {value!r}; expected block, review or pass")
    return cast(Risk, value)
