"""What the console's pages show, built from the store: highlighted context, evidence links, the room's history.

Finding fields are hostile: text is escaped before ``<mark>`` is put around the match, and an
evidence hash becomes a URL only when it is 64 hex digits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.findings import OVERLAP_NOTE
from monitor.service.cases import waiting_status
from monitor.service.db import aware
from monitor.service.rooms import stream_key
from monitor.store.queue_schema import CaseRow, DecisionRow

__all__ = [
    "BEIJING",
    "FindingView",
    "JudgeView",
    "HistoryEntry",
    "finding_view",
    "held_lease",
    "mark_text",
    "room_history",
    "timecode",
    "when",
]

BEIJING = timezone(timedelta(hours=8), "北京时间")
SHA256 = re.compile(r"[0-9a-f]{64}")


def timecode(seconds: float) -> str:
    minutes, secs = divmod(max(0.0, seconds), 60)
    return f"{int(minutes):02d}:{secs:05.2f}"


def when(value: datetime | str | None) -> str:
    """A time as reviewers in China read it: ``2026-03-02 17:00:05``, Beijing time."""
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return aware(moment).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def mark_text(text: str, needle: str) -> Markup | None:
    """``text`` escaped, with every occurrence of ``needle`` in ``<mark>``; ``None`` when it does not occur."""
    if not needle or needle not in text:
        return None
    mark = Markup("<mark>") + escape(needle) + Markup("</mark>")
    return mark.join(escape(part) for part in text.split(needle))


def _span_marked(text: str, span: Any) -> Markup:
    valid = (isinstance(span, list) and len(span) == 2 and all(isinstance(i, int) for i in span)
             and 0 <= span[0] < span[1] <= len(text))
    if not valid:
        return escape(text)
    a, b = span
    return escape(text[:a]) + Markup("<mark>") + escape(text[a:b]) + Markup("</mark>") + escape(text[b:])


def _sha(value: Any) -> str | None:
    return value if isinstance(value, str) and SHA256.fullmatch(value) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


@dataclass(frozen=True, slots=True)
class FindingView:
    """One finding as the case page shows it."""

    finding: Mapping[str, Any]
    text: Markup
    """The finding's text with its matched span marked."""
    context: Markup | None
    """The transcript / on-screen text around it, the finding's text marked (escaped when not found)."""
    snapshot: str | None
    """The evidence URL of its JPEG frame."""
    clip: str | None
    """The evidence URL of its clip, with a media fragment starting at the finding."""
    clip_offset: float
    judge: JudgeView | None = None
    """The LLM judge's second opinion, when the finding carries one."""
    speaker: SpeakerView | None = None
    """Its speaker turn and any talk over another voice, when the finding carries them (spoken findings)."""


@dataclass(frozen=True, slots=True)
class JudgeView:
    """An LLM second opinion as the case page shows it (every field checked: the body is hostile)."""

    verdict: str
    """``violation``, ``not_violation`` or ``unsure``."""
    rationale: str
    model: str
    confidence: float | None
    risk_before: str | None


VERDICTS = ("violation", "not_violation", "unsure")


@dataclass(frozen=True, slots=True)
class SpeakerView:
    """A spoken finding's speaker turn as the case page shows it; the note is livemon's own words, never the body's."""

    speaker: int | None
    turn: int | None
    overlap_seconds: float | None
    """Seconds spoken over another voice (``None``: not spoken over)."""
    note: str = OVERLAP_NOTE


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value else None


def _speaker_view(signals: Any) -> SpeakerView | None:
    """From the finding's ``evidence.signals`` (hostile: each field checked, anything else dropped)."""
    if not isinstance(signals, dict) or not isinstance(signals.get("overlapped"), bool):
        return None
    seconds = None
    if signals["overlapped"]:
        seconds = max(0.0, _number(signals.get("overlap_seconds")) or 0.0)
    return SpeakerView(speaker=_count(signals.get("speaker")), turn=_count(signals.get("speaker_turn")),
                       overlap_seconds=seconds)


def _judge_view(value: Any) -> JudgeView | None:
    if not isinstance(value, dict) or value.get("verdict") not in VERDICTS:
        return None
    rationale, model, before = value.get("rationale"), value.get("model"), value.get("risk_before")
    return JudgeView(
        verdict=value["verdict"], rationale=rationale if isinstance(rationale, str) else "",
        model=model if isinstance(model, str) else "", confidence=_number(value.get("confidence")),
        risk_before=before if before in ("block", "review", "pass") else None,
    )


def finding_view(finding: Mapping[str, Any]) -> FindingView:
    evidence = finding.get("evidence")
    evidence = evidence if isinstance(evidence, dict) else {}
    text, context = finding.get("text"), evidence.get("context")
    text, context = text if isinstance(text, str) else "", context if isinstance(context, str) else ""
    marked = mark_text(context, text) if context else None
    snapshot, clip = _sha(evidence.get("snapshot_sha256")), _sha(evidence.get("clip_sha256"))
    clip_start, start = _number(evidence.get("clip_start")), _number(finding.get("start")) or 0.0
    offset = max(0.0, start - clip_start) if clip_start is not None else 0.0
    return FindingView(
        finding=finding, text=_span_marked(text, finding.get("span")),
        context=marked if marked is not None else (escape(context) if context else None),
        snapshot=f"/console/evidence/{snapshot}" if snapshot else None,
        clip=f"/console/evidence/{clip}#t={offset:.2f}" if clip else None, clip_offset=round(offset, 2),
        judge=_judge_view(evidence.get("judge")), speaker=_speaker_view(evidence.get("signals")),
    )


def held_lease(session: Session, case_id: int, user: str, now: datetime) -> str | None:
    """The lease token when ``user`` holds a live lease on the case (it goes into the page's forms)."""
    return session.scalar(select(CaseRow.lease_token).where(
        CaseRow.id == case_id, CaseRow.status == "leased", CaseRow.lease_owner == user, CaseRow.lease_expires > now))


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """Another case of the same room, with its current decision."""

    id: int
    category: str
    risk: str
    status: str
    start: float
    end: float
    created_at: datetime
    action: str | None
    sanction: str | None
    decided_by: str | None
    reason: str | None


def room_history(session: Session, stream: str, case_id: int, now: datetime, limit: int = 20) -> list[HistoryEntry]:
    """The room's other cases, newest first, with the latest decision of each."""
    rows = session.execute(
        select(CaseRow, waiting_status(now)).where(CaseRow.stream_key == stream_key(stream), CaseRow.id != case_id)
        .order_by(CaseRow.created_at.desc(), CaseRow.id.desc()).limit(limit)
    ).all()
    latest: dict[int, DecisionRow] = {}
    for decision in session.scalars(select(DecisionRow).where(DecisionRow.case_id.in_([c.id for c, _ in rows]))
                                     .order_by(DecisionRow.id)):
        latest[decision.case_id] = decision
    out = []
    for case, status in rows:
        d = latest.get(case.id)
        out.append(HistoryEntry(case.id, case.category, case.risk, status, case.start, case.end,
                                aware(case.created_at), d.action if d else None, d.sanction if d else None,
                                d.decided_by if d else None, d.reason if d else None))
    return out
