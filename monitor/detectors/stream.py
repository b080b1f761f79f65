"""Every detector over one stream: the single step from observations to findings.

:class:`StreamDetector` takes a stream's observations in time order and returns findings
as soon as they can be made: ``watch`` feeds it each room's utterances and frames as they
are read, and :func:`detect_stream` feeds it a whole record (``scan`` and ``rescan``), reading
its transcript and on-screen text a part at a time when they are kept as parts
(:mod:`monitor.store.parts`), with the claim checks made exactly as over the whole record. When
the record has speaker turns its transcript lines are read cut at the turn changes
(:mod:`monitor.observations.turn_cut`), so a spoken finding's text is one speaker's. A
rescan that only changes rule packs, the allow-list, thresholds, ``min_confidence`` or
``dh_gap`` calls :func:`detect_stream` on the record loaded from the store, without media or
models.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from monitor.detectors.claims import ClaimEngine, ClaimHit, TextSource
from monitor.detectors.digital_human import (
    DigitalHumanOptions,
    DigitalHumanResult,
    RoomMeta,
    detect_digital_human,
    forgery_signal,
)
from monitor.detectors.digital_human.disclosure import is_label_text
from monitor.detectors.marketing import CaptionTracker, speech_findings
from monitor.findings import Finding
from monitor.observations.record import StreamRecord
from monitor.observations.turn_cut import TurnCutTranscript
from monitor.observations.turn_types import SpeakerTurns
from monitor.observations.types import FrameText, TranscriptSegment
from monitor.store.parts import RecordView

__all__ = ["DetectorOptions", "StreamDetection", "StreamDetector", "detect_stream"]

Snapshots = Sequence[tuple[float, str]]
SPEECH_BATCH = 256
"""Transcript segments handed to the speech detector at once when a record is read a part at a time."""


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
        turns: SpeakerTurns | None = None,
    ) -> None:
        self.claims, self.options, self.stream, self.turns = claims, options, stream, turns
        self._captions = CaptionTracker(frame_interval=frame_interval, stream=stream, report_after_s=report_after_s)
        self._last_line: tuple[TranscriptSegment, ...] = ()

    def speech(
        self,
        segments: Sequence[TranscriptSegment],
        snapshots: Snapshots = (),
        hits: Sequence[Sequence[ClaimHit]] | None = None,
        following: Sequence[TranscriptSegment] = (),
        turns: SpeakerTurns | None = None,
    ) -> list[Finding]:
        """Findings of ``segments`` (already cut at turn changes when there are turns); ``turns`` are the
        stream's turns so far when they are told as it goes (a live room), else those given at construction."""
        found = speech_findings(
            segments, self.claims, stream=self.stream, snapshots=snapshots, hits=hits, context=self._last_line,
            following=following, turns=turns if turns is not None else self.turns,
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


def _checked(claims: ClaimEngine, texts: Iterable[str], source: TextSource) -> dict[str, list[ClaimHit]]:
    """Each distinct text's hits, checked in one call in first-seen order: the classifier sees the same
    batches as a check of every text at once, so the hits are exactly those."""
    distinct = list(dict.fromkeys(texts))
    return dict(zip(distinct, claims.check_many(distinct, source=source), strict=True))


def _speech(
    detector: StreamDetector, transcript: Iterable[TranscriptSegment], hits: Mapping[str, list[ClaimHit]],
    snapshots: Snapshots,
) -> list[Finding]:
    """The transcript in its order, :data:`SPEECH_BATCH` segments at a time, each batch shown the line after it."""
    found: list[Finding] = []
    batch: list[TranscriptSegment] = []
    for segment in transcript:
        if len(batch) == SPEECH_BATCH:
            found += detector.speech(batch, snapshots, [hits[s.text] for s in batch], following=(segment,))
            batch = []
        batch.append(segment)
    if batch:
        found += detector.speech(batch, snapshots, [hits[s.text] for s in batch])
    return found


def _in_time_order(record: RecordView) -> Iterator[FrameText]:
    frames = record.frame_texts()
    return iter(frames) if record.ordered("frame_texts") else iter(sorted(frames, key=lambda f: f.time))


def _label_only(frame: FrameText) -> FrameText:
    """The frame with only its first AI-label box: all the on-screen label check reads of it."""
    label = next((b for b in frame.boxes if is_label_text(b.text)), None)
    return FrameText(frame.time, frame.frame_index, (label,) if label is not None else (), frame.width, frame.height)


def detect_stream(
    record: StreamRecord | RecordView,
    claims: ClaimEngine,
    options: DetectorOptions = DetectorOptions(),
    *,
    room: RoomMeta | None = None,
    stream: str = "",
) -> StreamDetection:
    """Claims in speech and on screen (a :class:`StreamDetector` fed the whole record, a part at a
    time), then the digital-human checks over the whole stream; findings under ``min_confidence``
    dropped. Of the long sequences only the snapshot index, the face track, the distinct texts and
    what the label checks read (one box per sampled frame, the lines that disclose AI) are held."""
    view = record if isinstance(record, RecordView) else RecordView(record)
    screen, speech = view.head.screen, view.head.speech
    snapshots = list(view.snapshots())
    turns = speech.turns if speech is not None else None
    transcript = TurnCutTranscript(view.transcript(), turns)
    detector = StreamDetector(
        claims, options, frame_interval=screen.frame_interval if screen is not None else 1.0, stream=stream,
        turns=turns,
    )
    findings = _speech(detector, transcript, _checked(claims, (s.text for s in transcript), "speech"), snapshots)
    dh_wanted = screen is not None and screen.faces is not None
    labels: list[FrameText] = []
    if screen is not None:
        hits = _checked(claims, (f.text for f in _in_time_order(view)), "text")
        for frame in _in_time_order(view):
            findings += detector.screen(frame, snapshots, hits[frame.text])
            if dh_wanted:
                labels.append(_label_only(frame))
    findings += detector.finish(snapshots)
    digital_human = None
    faces = view.faces() if dh_wanted else None
    if screen is not None and faces is not None:
        extra = (forgery_signal(screen.forgery),) if screen.forgery is not None else ()
        disclosures = [s for s in transcript if is_label_text(s.text)]
        digital_human = detect_digital_human(
            faces, labels, disclosures, view.head.info, room,
            speech.voice if speech is not None else None,
            extra_signals=extra, options=options.digital_human, snapshots=snapshots, stream=stream,
        )
        findings += [f for f in digital_human.findings if f.confidence >= options.min_confidence]
    return StreamDetection(tuple(sorted(findings, key=lambda f: (f.start, f.source, f.category))), digital_human)
