"""The YAML format of a rule pack, validated with pydantic (unknown keys are errors).

A pack file holds the rules of one claim category::

    version: "2026.02.1"
    category: absolute_terms        # one of CLAIM_CATEGORIES
    basis: [ad_law_2021.art9:三]     # default legal basis of its rules: ids in the legal
                                    # basis table (basis.py), or free text for a user pack
    vocab: {disease: [高血压, 糖尿病]} # named regex alternatives, used in regex as {disease}
    exclude: {regex: [...], window: 8}  # drops any hit of the pack nearby
    negations: [不能治]              # extra negation cues before a hit
    platform: douyin                # platform word-list packs: whose list, and
    sources: [{url: ..., title: ..., list: 抖音极限词}]   # the pages its words come from
    rules:
      - id: abs.lowest_price
        keywords: [全网最低价]       # literal, normalised like the text
        regex: ['最低价']            # over the normalised text
        pinyin: true                # also match keywords on sound (ASR errors)
        context: {words: [...], regex: [...], window: 10}   # must be near
        pinyin_context: {...}       # must be near a sound-only hit of a 2-syllable keyword
        exclude: {...}              # must not be near
        price: {reference: [原价], live: [现在], min_ratio: 1.5}
        risk: block                 # block | review | pass
        confidence: 0.9
        examples: {match: [...], no_match: [...]}

Regexes run over the normalised text (see ``monitor.text.normalise``):
Simplified, lower case, half-width, no spacing between Chinese characters,
clause punctuation folded to ``,`` and Chinese numerals as digits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.errors import ConfigError, describe_validation_error
from monitor.findings import CLAIM_CATEGORIES

__all__ = [
    "CLAIM_CATEGORIES",
    "TRUE_WHEN_PROVEN",
    "Examples",
    "ListSource",
    "Nearby",
    "PackSpec",
    "PriceSpec",
    "RuleSpec",
    "read_pack",
]



TRUE_WHEN_PROVEN = frozenset({"fake_data", "fake_scarcity"})
"""Categories whose claims are lawful when true (a stock count, a sales figure): a person checks them."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Nearby(_Strict):
    """Words or regexes looked for within ``window`` characters either side of a hit."""

    words: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    window: int = Field(default=8, ge=0, le=200)


class PriceSpec(_Strict):
    """A reference price set against a live price, with the smallest suspicious ratio."""

    reference: tuple[str, ...] = Field(min_length=1)
    live: tuple[str, ...] = Field(min_length=1)
    min_ratio: float = Field(gt=1.0)
    max_ratio: float | None = None
    max_gap: int = Field(default=30, ge=1, le=200)


class Examples(_Strict):
    match: tuple[str, ...] = ()
    no_match: tuple[str, ...] = ()


class RuleSpec(_Strict):
    id: str = Field(min_length=1)
    description: str = ""
    keywords: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    price: PriceSpec | None = None
    pinyin: bool = False
    pinyin_context: Nearby | None = None
    context: Nearby | None = None
    exclude: Nearby | None = None
    negatable: bool = True
    risk: Literal["block", "review", "pass"]
    confidence: float = Field(ge=0.0, le=1.0)
    basis: str | tuple[str, ...] | None = None
    examples: Examples = Examples()


class ListSource(_Strict):
    """A public page a pack's words were copied from (platform word-list packs)."""

    url: str = Field(pattern=r"^https?://")
    title: str = ""
    list: str = ""
    """The list's own heading on that page (抖音极限词, 引流词...)."""


class PackSpec(_Strict):
    version: str = Field(min_length=1)
    category: str
    platform: str = ""
    """The platform whose published word list this pack carries (``douyin``...); empty for built-in packs."""
    sources: tuple[ListSource, ...] = ()
    basis: str | tuple[str, ...] = Field(min_length=1)
    description: str = ""
    vocab: dict[str, tuple[str, ...]] = {}
    exclude: Nearby | None = None
    negations: tuple[str, ...] = ()
    rules: tuple[RuleSpec, ...] = Field(min_length=1)

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in CLAIM_CATEGORIES:
            raise ValueError(f"unknown category {value!r}; expected one of {', '.join(CLAIM_CATEGORIES)}")
        return value

    @model_validator(mode="after")
    def _true_only_claims_are_reviewed(self) -> PackSpec:
        if self.category in TRUE_WHEN_PROVEN:
            blocked = [r.id for r in self.rules if r.risk == "block"]
            if blocked:
                raise ValueError(
                    f"rules {', '.join(blocked)}: {self.category} claims (counts, stock, sales) are lawful "
                    "when true, so they go to review, never block"
                )
        return self


def read_pack(path: Path) -> PackSpec:
    """Read and validate one pack file; any problem raises ConfigError naming file and key."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read rule pack {path}: {e}") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"rule pack {path} is not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"rule pack {path} must be a mapping with version, category, basis and rules")
    try:
        return PackSpec.model_validate(data)
    except ValidationError as e:
        raise ConfigError(f"rule pack {path}: {describe_validation_error(e)}") from e
