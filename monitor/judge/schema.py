"""The judge's answer: the JSON object the model must return, validated with pydantic.

``prompts/judge/schema.json`` is this model's JSON schema (a test keeps the two equal): it is
shown to the model in the system prompt and sent as the request's ``response_format``, which
servers that constrain decoding (llama.cpp, vLLM, SGLang) enforce.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitor.errors import JudgeError

__all__ = ["RATIONALE_CHARS", "CategoryName", "Verdict", "parse_verdict"]

RATIONALE_CHARS = 300
"""Longest rationale accepted (a reviewer reads it at a glance)."""

CategoryName = Literal[  # the ten claim categories (monitor.findings.CLAIM_CATEGORIES), or none
    "absolute_terms", "medical_claims", "false_efficacy", "price_fraud", "fake_scarcity", "fake_data",
    "traffic_diversion", "false_endorsement", "counterfeit", "disparagement", "none",
]


class Verdict(BaseModel):
    """复核结论：先写引用法条的简短理由（rationale），再给是否违规（verdict）、涉及的类别（category）和把握（confidence）。"""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rationale: str = Field(min_length=2, max_length=RATIONALE_CHARS)
    """First: a model that decodes in this order reasons before it rules (the grammar follows the order)."""
    verdict: Literal["violation", "not_violation", "unsure"]
    category: CategoryName
    confidence: float = Field(ge=0.0, le=1.0)


def parse_verdict(content: str | None) -> Verdict:
    """The model's message as a :class:`Verdict`; a refusal, non-JSON or out-of-schema answer raises JudgeError.

    A reply wrapped in a Markdown code fence is accepted (small models add one); anything else
    around the JSON object is not.
    """
    if content is None or not content.strip():
        raise JudgeError("refusal", "the model returned no content")
    text = content.strip()
    if text.startswith("```"):
        text = text.removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as e:
        kind = "malformed" if text[:1] in "{[" else "refusal"
        raise JudgeError(kind, f"the answer is not JSON ({e.msg}): {text[:80]!r}") from e
    try:
        return Verdict.model_validate(data)
    except ValidationError as e:
        raise JudgeError("schema", f"the answer does not fit the verdict schema: {e.errors()[0]['msg']}") from e
