"""Every detector over one stream: the single step from observations to findings.

:class:`StreamDetector` takes a stream's observations in time order and returns findings
as soon as they can be made: ``watch`` feeds it each room's utterances and frames as they
are read, and :func:`detect_stream` feeds it a whole stored record at once (``scan`` and
``rescan``). A rescan that only changes rule packs, the allow-list, thresholds,
``min_confidence`` or ``dh_gap`` calls :func:`detect_stream` on the record loaded from the
store, without media or models.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from monitor.detectors.claims import ClaimEngine, ClaimHit
from monitor.detectors.digital_human import (
    DigitalHumanOptions,
    DigitalHumanResult,
    RoomMeta,
    detect_digital_human,
    forgery_signal,
)
from monitor.detectors.marketing import CaptionTracker, speech_findings
from monitor.findings import Finding
from monitor.observations.record import StreamRecord
from monitor.observations.types import FrameText, TranscriptSegment

__all__ = ["DetectorOptions", "StreamDetection", "StreamDetector", "detect_stream"]

Snapshots = Sequence[tuple[float, str]]


@dataclass(frozen=True, slots=True)
class DetectorOptions:
    """The detector-side settings: changing only these never needs the media again."""

    min_confidence: float = 0.0
    digital_human: DigitalHumanOptions = field(default_factory=DigitalHumanOptions)


@dataclass(frozen=True, slots=True)
class StreamDetection:
    """Findings of one record (sorted by time), and the digital-human judgement behind its findings."""

    findings: tuple[Finding, ...]
    digital_human: DigitalHumanResult | None = None


class StreamDetector:
    """The claim detectors of one stream, fed its observations in time order.

    :meth:`speech` takes transcript segments (one utterance, or a whole transcript) and
    returns their findings at once, each line shown with the lines around it (the last
    line of the previous call included); :meth:`screen` takes one sampled frame's text and
    returns the captions that left the screen (or stayed up ``report_after_s``);
    :meth:`finish` closes the captions still up. Findings under ``min_confidence`` are
    dropped. The claim engine's hits can be passed in when already computed (a live watch
    checks many rooms' lines in one batch).
    """

    def __init__(
        self,
        claims: ClaimEngine,
        options: DetectorOptions = DetectorOptions(),
        *,
        frame_interval: float,
        stream: str = "",
        report_after_s: float | None = None,
    ) -> None:
        self.claims, self.options, self.stream = claims, options, stream
        self._captions = CaptionTracker(frame_interval=frame_interval, stream=stream, report_after_s=report_after_s)
        self._last_line: tuple[TranscriptSegment, ...] = ()

    def speech(
        self,
        segments: Sequence[TranscriptSegment],
        snapshots: Snapshots = (),
        hits: Sequence[Sequence[ClaimHit]] | None = None,
    ) -> list[Finding]:
        found = speech_findings(
            segments, self.claims, stream=self.stream, snapshots=snapshots, hits=hits, context=self._last_line
        )
        self._last_line = tuple(segments[-1:]) or self._last_line
        return self._kept(found)

    def screen(
        self, frame: FrameText, snapshots: Snapshots = (), hits: Sequence[ClaimHit] | None = None
    ) -> list[Finding]:
        frame_hits = hits if hits is not None else self.claims.check_many([frame.text])[0]
        return self._kept(self._captions.add(frame, frame_hits, snapshots))

    def screen_many(self, frames: Sequence[FrameText], snapshots: Snapshots = ()) -> list[Finding]:
        """:meth:`screen` for many frames in time order, their text checked in one batch."""
        found = []
        for frame, hits in zip(frames, self.claims.check_many([f.text for f in frames]), strict=True):
            found += self.screen(frame, snapshots, hits)
        return found

    def finish(self, snapshots: Snapshots = ()) -> list[Finding]:
        return self._kept(self._captions.finish(snapshots))

    def _kept(self, findings: Iterable[Finding]) -> list[Finding]:
        return [f for f in findings if f.confidence >= self.options.min_confidence]


def detect_stream(
    record: StreamRecord,
    claims: ClaimEngine,
    options: DetectorOptions = DetectorOptions(),
    *,
    room: RoomMeta | None = None,
    stream: str = "",
) -> StreamDetection:
    """Claims in speech and on screen (a :class:`StreamDetector` fed the whole record), then the
    digital-human checks over the whole stream; findings under ``min_confidence`` dropped."""
    screen, speech = record.screen, record.speech
    snapshots = screen.snapshots if screen is not None else ()
    transcript = speech.transcript if speech is not None else ()
    detector = StreamDetector(
        claims, options, frame_interval=screen.frame_interval if screen is not None else 1.0, stream=stream
    )
    findings = detector.speech(transcript, snapshots)
    if screen is not None:
        findings += detector.screen_many(sorted(screen.frame_texts, key=lambda f: f.time), snapshots)
    findings += detector.finish(snapshots)
    digital_human = None
    if screen is not None and screen.faces is not None:
        extra = (forgery_signal(screen.forgery),) if screen.forgery is not None else ()
        digital_human = detect_digital_human(
            screen.faces, screen.frame_texts, transcript, record.info, room,
            speech.voice if speech is not None else None,
            extra_signals=extra, options=options.digital_human, snapshots=snapshots, stream=stream,
        )
        findings += [f for f in digital_human.findings if f.confidence >= options.min_confidence]
    return StreamDetection(tuple(sorted(findings, key=lambda f: (f.start, f.source, f.category))), digital_human)
