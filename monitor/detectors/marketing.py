"""False-marketing findings from transcript segments and on-screen text.

Pure functions of observations: they take the claim engine's hits and turn
them into findings with stream times, evidence and legal basis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.detectors.claims import ClaimEngine, ClaimHit
from monitor.detectors.evidence import nearest_snapshot
from monitor.findings import Evidence, Finding
from monitor.observations.types import FrameText, TranscriptSegment

__all__ = ["claim_time", "screen_findings", "speech_findings", "strongest_per_category"]


def _asr_weight(asr_confidence: float) -> float:
    """Shrink a claim's confidence a little when the recogniser itself was unsure."""
    return 0.7 + 0.3 * max(0.0, min(1.0, asr_confidence))


LONG_SEGMENT = 6.0
"""Segments longer than this (seconds) get a finding time estimated from where the claim sits in the text."""


def claim_time(segment: TranscriptSegment, span: tuple[int, int], pad: float = 1.0) -> tuple[float, float]:
    """Stream time of a claim inside a segment.

    Whisper can return one segment for several sentences; in a long segment the claim's
    time is estimated from its character position (speech rate is close to uniform
    within one segment), padded by ``pad`` seconds and clipped to the segment.
    """
    duration = segment.end - segment.start
    if duration <= LONG_SEGMENT or not segment.text:
        return segment.start, segment.end
    per_char = duration / len(segment.text)
    start = max(segment.start, segment.start + span[0] * per_char - pad)
    end = min(segment.end, segment.start + span[1] * per_char + pad)
    return round(start, 3), round(end, 3)


def strongest_per_category(hits: Sequence[ClaimHit]) -> list[ClaimHit]:
    """One hit per category (the most confident): a reviewer wants one finding per claim type per line."""
    best: dict[str, ClaimHit] = {}
    for hit in hits:
        if hit.category not in best or hit.confidence > best[hit.category].confidence:
            best[hit.category] = hit
    return sorted(best.values(), key=lambda h: h.span)


def speech_findings(
    segments: Sequence[TranscriptSegment],
    engine: ClaimEngine,
    *,
    stream: str = "",
    snapshots: Sequence[tuple[float, str]] = (),
) -> list[Finding]:
    """One finding per claim hit in each transcript segment, with the neighbouring lines as context."""
    findings = []
    all_hits = engine.check_many([s.text for s in segments], source="speech")
    for i, (segment, hits) in enumerate(zip(segments, all_hits, strict=True)):
        if not hits:
            continue
        context = " / ".join(s.text for s in segments[max(0, i - 1) : i + 2])
        for hit in strongest_per_category(hits):
            start, end = claim_time(segment, hit.span)
            findings.append(
                Finding(
                    category=hit.category,
                    risk=hit.risk,  # type: ignore[arg-type]
                    start=start,
                    end=end,
                    source="speech",
                    text=segment.text,
                    confidence=round(hit.confidence * _asr_weight(segment.confidence), 3),
                    basis=hit.basis,
                    rule=hit.rule,
                    span=hit.span,
                    stream=stream,
                    evidence=Evidence(
                        snapshot=nearest_snapshot(snapshots, (start + end) / 2),
                        context=context,
                        signals={
                            "matched": hit.matched, "asr_text": segment.raw_text,
                            "segment": [segment.start, segment.end], **hit.details,
                        },
                    ),
                )
            )
    return findings


@dataclass(slots=True)
class _Sighting:
    hit: ClaimHit
    text: str
    first: FrameText
    last_time: float
    frames: int = 1


def screen_findings(
    frame_texts: Sequence[FrameText],
    engine: ClaimEngine,
    *,
    frame_interval: float,
    stream: str = "",
    snapshots: Sequence[tuple[float, str]] = (),
) -> list[Finding]:
    """Claims in on-screen text, one finding per caption for as long as it stays on screen.

    The same claim (category and matched words) seen on consecutive sampled frames
    is one finding from its first to its last sighting; a gap longer than two
    sampling intervals starts a new one.
    """
    gap = 2 * frame_interval + 0.5
    open_: dict[tuple[str, str], _Sighting] = {}
    done: list[_Sighting] = []
    ordered = sorted(frame_texts, key=lambda f: f.time)
    for frame, hits in zip(ordered, engine.check_many([f.text for f in ordered]), strict=True):
        for key in [k for k, s in open_.items() if frame.time - s.last_time > gap]:
            done.append(open_.pop(key))
        for hit in strongest_per_category(hits):
            key = (hit.category, hit.matched)
            sighting = open_.get(key)
            if sighting is None:
                open_[key] = _Sighting(hit=hit, text=frame.text, first=frame, last_time=frame.time)
            else:
                sighting.last_time = frame.time
                sighting.frames += 1
    done.extend(open_.values())
    findings = [
        Finding(
            category=s.hit.category,
            risk=s.hit.risk,  # type: ignore[arg-type]
            start=s.first.time,
            end=round(s.last_time + frame_interval, 3),
            source="screen",
            text=s.text,
            confidence=s.hit.confidence,
            basis=s.hit.basis,
            rule=s.hit.rule,
            span=s.hit.span,
            stream=stream,
            evidence=Evidence(
                snapshot=nearest_snapshot(snapshots, s.first.time),
                context=s.text,
                signals={"matched": s.hit.matched, "frames": s.frames, **s.hit.details},
            ),
        )
        for s in done
    ]
    return sorted(findings, key=lambda f: (f.start, f.category))


