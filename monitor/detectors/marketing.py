"""False-marketing findings from transcript segments and on-screen text.

Pure functions of observations: they take the claim engine's hits and turn
them into findings with stream times, evidence and legal basis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.detectors.claims import ClaimEngine, ClaimHit
from monitor.detectors.evidence import nearest_snapshot
from monitor.findings import OVERLAP_NOTE, Evidence, Finding
from monitor.observations.turn_types import SpeakerTurns
from monitor.observations.types import FrameText, TranscriptSegment

__all__ = [
    "CUT_OFF_NOTE", "OVERLAP_NOTE", "CaptionTracker", "claim_time", "heard_hits", "speaker_signals", "speech_findings",
    "strongest_per_category",
]



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


def speaker_signals(turns: SpeakerTurns | None, start: float, end: float) -> dict[str, object]:
    """What a spoken finding's evidence says of its speaker: turn id, voice, and any talk over another voice."""
    note = turns.note(start, end) if turns is not None else None
    if note is None:
        return {}
    signals: dict[str, object] = {"speaker_turn": note.turn, "speaker": note.speaker, "overlapped": note.overlapped}
    if note.overlapped:
        signals.update(overlap_seconds=note.overlap_seconds, overlap_note=OVERLAP_NOTE)
    return signals


CUT_OFF_NOTE = "断流截断：该句未说完，仅按规则判定 the stream broke off mid-line: only rule matches are reported"


def heard_hits(segment: TranscriptSegment, hits: Sequence[ClaimHit]) -> Sequence[ClaimHit]:
    """The hits a finding may come from: on a line the stream cut off, only rule matches (a fragment's
    meaning is unknown, and the classifier reads a misheard fragment as anything)."""
    if not segment.cut_off:
        return hits
    return [h for h in hits if h.details.get("via") != "classifier"]


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
    hits: Sequence[Sequence[ClaimHit]] | None = None,
    context: Sequence[TranscriptSegment] = (),
    following: Sequence[TranscriptSegment] = (),
    turns: SpeakerTurns | None = None,
) -> list[Finding]:
    """One finding per claim hit in each transcript segment, with the neighbouring lines as context.

    ``hits`` are the engine's hits for the segments when already computed (a live watch
    checks many rooms' lines in one batch); ``context`` are earlier lines of the same
    stream, shown before the first segment, and ``following`` later ones, shown after the last
    (a transcript read a part at a time). With ``turns`` (segments already cut at turn changes)
    each finding's evidence names its speaker turn and notes a line spoken over another voice.
    """
    findings = []
    all_hits = hits if hits is not None else engine.check_many([s.text for s in segments], source="speech")
    lines = [*context[-1:], *segments, *following[:1]]
    first = len(context[-1:])
    for i, (segment, segment_hits) in enumerate(zip(segments, all_hits, strict=True)):
        segment_hits = heard_hits(segment, segment_hits)
        if not segment_hits:
            continue
        shown = " / ".join(s.text for s in lines[max(0, first + i - 1) : first + i + 2])
        for hit in strongest_per_category(segment_hits):
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
                        context=shown,
                        signals={
                            "matched": hit.matched, "asr_text": segment.raw_text,
                            "segment": [segment.start, segment.end], **hit.details,
                            **speaker_signals(turns, segment.start, segment.end),
                            **({"cut_off": True, "cut_off_note": CUT_OFF_NOTE} if segment.cut_off else {}),
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
    reported: bool = False
    """Already handed out while still on screen (``report_after_s``)."""


class CaptionTracker:
    """Follows claims in on-screen text frame by frame; a caption is one finding while it stays up.

    The same claim (category and matched words) seen on consecutive sampled frames
    is one finding from its first to its last sighting; a gap longer than two
    sampling intervals closes it. Feed frames in time order with :meth:`add`, which
    returns the findings that closed; :meth:`finish` closes the rest.

    A live room cannot wait for a banner that stays up for an hour: with ``report_after_s``
    a caption still on screen that long is handed out then, once, marked
    ``still_on_screen``, and not again when it leaves.
    """

    def __init__(self, *, frame_interval: float, stream: str = "", report_after_s: float | None = None) -> None:
        self.frame_interval = frame_interval
        self.stream = stream
        self.report_after_s = report_after_s
        self._gap = 2 * frame_interval + 0.5
        self._open: dict[tuple[str, str], _Sighting] = {}

    def add(
        self, frame: FrameText, hits: Sequence[ClaimHit], snapshots: Sequence[tuple[float, str]] = ()
    ) -> list[Finding]:
        """Record one frame's claim hits; return the findings of captions that have left the screen."""
        gone = [key for key, s in self._open.items() if frame.time - s.last_time > self._gap]
        closed = [self._finding(s, snapshots) for key in gone if not (s := self._open.pop(key)).reported]
        for hit in strongest_per_category(hits):
            key = (hit.category, hit.matched)
            sighting = self._open.get(key)
            if sighting is None:
                self._open[key] = _Sighting(hit=hit, text=frame.text, first=frame, last_time=frame.time)
            else:
                sighting.last_time = frame.time
                sighting.frames += 1
        if self.report_after_s is not None:
            for s in self._open.values():
                if not s.reported and s.last_time - s.first.time >= self.report_after_s:
                    s.reported = True
                    closed.append(self._finding(s, snapshots, still_on_screen=True))
        return closed

    def finish(self, snapshots: Sequence[tuple[float, str]] = ()) -> list[Finding]:
        """Close every caption still on screen (the stream ended)."""
        closed = [self._finding(s, snapshots) for s in self._open.values() if not s.reported]
        self._open.clear()
        return closed

    def _finding(self, s: _Sighting, snapshots: Sequence[tuple[float, str]], still_on_screen: bool = False) -> Finding:
        return Finding(
            category=s.hit.category,
            risk=s.hit.risk,  # type: ignore[arg-type]
            start=s.first.time,
            end=round(s.last_time + self.frame_interval, 3),
            source="screen",
            text=s.text,
            confidence=s.hit.confidence,
            basis=s.hit.basis,
            rule=s.hit.rule,
            span=s.hit.span,
            stream=self.stream,
            evidence=Evidence(
                snapshot=nearest_snapshot(snapshots, s.first.time),
                context=s.text,
                signals={
                    "matched": s.hit.matched, "frames": s.frames, **s.hit.details,
                    **({"still_on_screen": True} if still_on_screen else {}),
                },
            ),
        )
