"""The API's request and response bodies (pydantic, at the edge only)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from monitor.findings import CATEGORIES, Risk, Source

__all__ = [
    "EVIDENCE_KEYS",
    "SANCTIONS",
    "AppealDecisionIn",
    "AppealIn",
    "HoldLiftIn",
    "HoldPlaceIn",
    "Sanction",
    "SanctionTerms",
    "CaseList",
    "CaseSummary",
    "Claim",
    "DecisionIn",
    "DecisionOut",
    "FindingIn",
    "HoldIn",
    "IngestResult",
    "LeaseIn",
    "LeaseOut",
]

EVIDENCE_KEYS: tuple[str, ...] = ("snapshot_sha256", "clip_sha256")
"""The keys of a finding's ``evidence`` that name a blob."""
_SHA256 = re.compile(r"[0-9a-f]{64}")
_WORKER = re.compile(r"[\w.@:-]{1,128}")

Sanction = Literal["警示", "限流", "暂停直播", "关闭账号", "黑名单"]
"""The sanction steps of the 直播电商监督管理办法, mildest first."""
SANCTIONS: tuple[str, ...] = get_args(Sanction)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Policy = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LeaseToken = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class FindingIn(BaseModel):
    """One finding as ``livemon scan|watch|rescan`` writes it (a JSONL line); unknown fields are kept."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    category: str
    risk: Risk
    source: Source
    start: float = Field(ge=0, allow_inf_nan=False)
    end: float = Field(ge=0, allow_inf_nan=False)
    stream: str = Field(min_length=1, max_length=4000)
    text: str = Field(default="", max_length=20000)
    confidence: float = Field(default=1.0, ge=0, le=1)
    basis: str = Field(default="", max_length=4000)
    rule: str = Field(default="", max_length=200)
    span: list[int] | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)
    provenance: dict[str, Any] = Field(default_factory=dict)

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in CATEGORIES:
            raise ValueError(f"unknown category {value!r}; expected one of {', '.join(CATEGORIES)}")
        return value

    @field_validator("evidence")
    @classmethod
    def _evidence_hashes(cls, value: dict[str, Any]) -> dict[str, Any]:
        """A blob the evidence names is a sha256 as 64 lowercase hex digits (or null); the value is not echoed."""
        for key in EVIDENCE_KEYS:
            digest = value.get(key)
            if digest is not None and not (isinstance(digest, str) and _SHA256.fullmatch(digest)):
                raise ValueError(f"evidence.{key} must be a sha256 as 64 lowercase hex digits, or null")
        return value

    @field_validator("provenance")
    @classmethod
    def _lease(cls, value: dict[str, Any]) -> dict[str, Any]:
        """``provenance.lease``, when there, names the room lease it was found under (``watch --from``)."""
        lease = value.get("lease")
        if lease is None:
            return value
        ok = (isinstance(lease, dict) and set(lease) == {"room", "epoch", "worker"}
              and all(type(lease[k]) is int and lease[k] >= 1 for k in ("room", "epoch"))
              and isinstance(lease["worker"], str) and _WORKER.fullmatch(lease["worker"]) is not None)
        if not ok:
            raise ValueError("provenance.lease must be {room: int, epoch: int, worker: name} (watch --from)")
        return value

    @model_validator(mode="after")
    def _ordered_times(self) -> FindingIn:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class IngestResult(BaseModel):
    received: int
    new: int
    duplicates: int
    cases: list[int]
    """The cases the new findings went to (opened or grown)."""
    fenced: list[str] = Field(default_factory=list)
    """Findings refused because the room lease they name had ended before they were found (not stored);
    left out of the answer when there are none."""


class LeaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lease_token: LeaseToken


class HoldIn(LeaseIn):
    reason: Text


class SanctionTerms(BaseModel):
    """What a sanction states: the facts, the provisions it rests on, its period and the route of appeal."""

    model_config = ConfigDict(extra="forbid")

    facts: Text
    basis: list[Policy] = Field(min_length=1, max_length=20)
    period_days: int | None = Field(default=None, ge=1, le=36500)
    """``None``: until lifted."""
    appeal_route: Text


class DecisionIn(LeaseIn):
    """A decision on a leased case: a reason and at least one policy; a sanction only with a confirm.

    A blacklisting (黑名单) must state its terms; other sanctions may, and otherwise state the
    decision's reason as the facts, its policies as the basis, no end, and the service's appeal route.
    """

    action: Literal["confirm", "dismiss", "escalate"]
    reason: Text
    policies: list[Policy] = Field(min_length=1, max_length=20)
    sanction: Sanction | None = None
    terms: SanctionTerms | None = None

    @model_validator(mode="after")
    def _sanction_with_confirm(self) -> DecisionIn:
        if self.sanction is not None and self.action != "confirm":
            raise ValueError(f"a sanction goes with a confirm, not with {self.action}")
        if self.terms is not None and self.sanction is None:
            raise ValueError("terms go with a sanction")
        if self.sanction == "黑名单" and self.terms is None:
            raise ValueError("a blacklisting (黑名单) states its terms: facts, basis, period_days and appeal_route")
        return self


class AppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    statement: Text
    """The appellant's case, as the platform received it."""


class AppealDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["upheld", "rejected"]
    """``upheld``: the appeal succeeds and the sanction is lifted."""
    reason: Text


class HoldPlaceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stream: str = Field(min_length=1, max_length=4000)
    reason: Text


class HoldLiftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text


class Claim(BaseModel):
    id: int
    lease_token: str
    lease_expires: datetime


class LeaseOut(BaseModel):
    id: int
    lease_expires: datetime


class DecisionOut(BaseModel):
    id: int
    case: int
    action: str
    status: str
    supersedes: int | None
    sanction: int | None = None
    """The sanction the decision imposed, if any."""


class CaseSummary(BaseModel):
    id: int
    stream: str
    category: str
    risk: str
    priority: int
    status: str
    start: float
    end: float
    due_at: datetime
    finding_count: int
    sources: list[str]
    lease_owner: str | None
    lease_expires: datetime | None
    decision: str | None
    """The action of the case's current decision, if any."""
    tier: str
    """The room's risk tier: ``low``, ``medium``, ``high`` or ``severe``."""
    live: bool
    """The room is live now (a live watch reported it within the last minutes)."""


class CaseList(BaseModel):
    cases: list[CaseSummary]
    total: int
    """Cases that match the filters (all pages)."""
    counts: dict[str, int]
    """Cases per status under the category and source filters."""
