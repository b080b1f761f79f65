"""Every detector over one stored record: the single step from observations to findings.

``scan`` and ``rescan`` both call :func:`detect_stream`; a rescan that only changes rule
packs, the allow-list, thresholds, ``min_confidence`` or ``dh_gap`` calls it on the record
loaded from the store, without media or models.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.detectors.claims import ClaimEngine
from monitor.detectors.digital_human import (
    DigitalHumanOptions,
    DigitalHumanResult,
    RoomMeta,
    detect_digital_human,
    forgery_signal,
)
from monitor.detectors.marketing import screen_findings, speech_findings
from monitor.findings import Finding
from monitor.observations.record import StreamRecord

__all__ = ["DetectorOptions", "StreamDetection", "detect_stream"]


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


def detect_stream(
    record: StreamRecord,
    claims: ClaimEngine,
    options: DetectorOptions = DetectorOptions(),
    *,
    room: RoomMeta | None = None,
    stream: str = "",
) -> StreamDetection:
    """Claims in speech and on screen, then the digital-human checks; findings under ``min_confidence`` dropped."""
    screen, speech = record.screen, record.speech
    snapshots = screen.snapshots if screen is not None else ()
    transcript = speech.transcript if speech is not None else ()
    findings = speech_findings(transcript, claims, stream=stream, snapshots=snapshots)
    if screen is not None:
        findings += screen_findings(
            screen.frame_texts, claims, frame_interval=screen.frame_interval, stream=stream, snapshots=snapshots
        )
    digital_human = None
    if screen is not None and screen.faces is not None:
        extra = (forgery_signal(screen.forgery),) if screen.forgery is not None else ()
        digital_human = detect_digital_human(
            screen.faces, screen.frame_texts, transcript, record.info, room,
            speech.voice if speech is not None else None,
            extra_signals=extra, options=options.digital_human, snapshots=snapshots, stream=stream,
        )
        findings += digital_human.findings
    kept = sorted(
        (f for f in findings if f.confidence >= options.min_confidence), key=lambda f: (f.start, f.source, f.category)
    )
    return StreamDetection(tuple(kept), digital_human)
