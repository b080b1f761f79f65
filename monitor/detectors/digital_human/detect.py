"""The digital-human detector: a pure function of observations that yields a result and findings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from monitor.detectors.basis import citation
from monitor.detectors.digital_human.audio_signals import mouth_sync_signal, voice_signal
from monitor.detectors.digital_human.disclosure import (
    MetadataLabel,
    SpokenDisclosure,
    metadata_label,
    spoken_disclosures,
)
from monitor.detectors.digital_human.face_signals import blink_signal, loop_signal, pose_jitter_signal
from monitor.detectors.digital_human.fusion import DEFAULT_WEIGHTS, fuse
from monitor.detectors.digital_human.label_track import LabelCoverage, screen_label
from monitor.detectors.digital_human.quality import FaceView, Judgement, QualityOptions, face_view, judge_track
from monitor.detectors.digital_human.room import RoomMeta
from monitor.detectors.digital_human.signal import Signal
from monitor.detectors.evidence import nearest_snapshot
from monitor.findings import Evidence, Finding, Source
from monitor.media.types import MediaInfo
from monitor.observations.faces import FaceTrack
from monitor.observations.types import FrameText, TranscriptSegment
from monitor.observations.voice import VoiceFeatures

__all__ = [
    "BASIS",
    "DigitalHumanOptions",
    "DigitalHumanResult",
    "HostJudgement",
    "declared_by",
    "detect_digital_human",
    "dh_finding",
    "judge_host",
    "options_used",
]

BASIS = citation(["live_ecommerce_2026.art37", "aigc_label_2025.art4:四", "aigc_label_2025.art5"])
"""The continuous label for AI-generated hosts; the explicit label on video; the implicit label in metadata."""


@dataclass(frozen=True, slots=True)
class DigitalHumanOptions:
    """Thresholds of the detector; echoed into every finding's signals."""

    max_gap: float = 5.0
    """Seconds the on-screen label may be missing before the gap is reported (``--dh-gap``)."""
    min_coverage: float = 0.95
    """Share of stream time the label must be visible to count as continuous."""
    min_label_height: float = 0.03
    """Label text height over frame height below which the label is not prominent."""
    threshold: float = 0.6
    """Fused likelihood at or above which the host counts as likely AI (calibrated on the benchmark)."""
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    bias: float = 0.0
    quality: QualityOptions = field(default_factory=QualityOptions)


@dataclass(frozen=True, slots=True)
class DigitalHumanResult:
    """Everything the detector measured, whether or not it led to a finding."""

    judgement: Judgement
    view: FaceView
    likelihood: float | None
    ai_likely: bool
    signals: tuple[Signal, ...]
    label: LabelCoverage
    spoken: tuple[SpokenDisclosure, ...]
    metadata: MetadataLabel | None
    room: RoomMeta | None
    findings: tuple[Finding, ...]

    @property
    def self_declared(self) -> bool:
        """The stream or platform itself says the host is AI (metadata, speech or room)."""
        return bool(self.metadata or self.spoken or (self.room and self.room.declares_ai))

    def summary(self) -> dict[str, Any]:
        """Plain data for reports and finding evidence."""
        return {
            "judgement": self.judgement.status,
            "not_judged_reason": self.judgement.reason,
            "face_view": {**asdict(self.view), "text": self.view.describe()},
            "likelihood": None if self.likelihood is None else round(self.likelihood, 3),
            "ai_likely": self.ai_likely,
            "signals": {s.name: s.to_dict() for s in self.signals},
            "label": asdict(self.label),
            "spoken": [asdict(s) for s in self.spoken],
            "metadata_label": asdict(self.metadata) if self.metadata else None,
            "room_host_type": self.room.host_type if self.room else None,
        }


@dataclass(frozen=True, slots=True)
class HostJudgement:
    """What the face track (and the voice) say about the host, before any disclosure channel is looked at."""

    judgement: Judgement
    view: FaceView
    likelihood: float | None
    signals: tuple[Signal, ...]

    def ai_likely(self, threshold: float) -> bool:
        return self.likelihood is not None and self.likelihood >= threshold


def _signals(track: FaceTrack, voice: VoiceFeatures | None, extra: Sequence[Signal]) -> tuple[Signal, ...]:
    face = (blink_signal(track), loop_signal(track), pose_jitter_signal(track))
    sound = (mouth_sync_signal(track, voice), voice_signal(voice)) if voice is not None and voice.duration else ()
    return face + sound + tuple(extra)


def judge_host(
    faces: FaceTrack,
    voice: VoiceFeatures | None = None,
    extra_signals: Sequence[Signal] = (),
    options: DigitalHumanOptions = DigitalHumanOptions(),
) -> HostJudgement:
    """Whether the face track can be judged, its AI-likelihood signals and their fused likelihood."""
    judgement = judge_track(faces, options.quality)
    signals = _signals(faces, voice, extra_signals) if judgement.judged else tuple(extra_signals)
    fusion = fuse(signals, options.weights, options.bias) if judgement.judged else None
    if judgement.judged and fusion is not None and fusion.likelihood is None:
        judgement = Judgement("not_judged", fusion.reason, judgement.face_share, judgement.multi_face_share)
    likelihood = fusion.likelihood if fusion is not None else None
    return HostJudgement(judgement, face_view(faces, options.quality), likelihood, signals)


def _duration(info: MediaInfo | None, track: FaceTrack, texts: Sequence[FrameText]) -> float:
    if info is not None and info.duration:
        return info.duration
    ends = [track.frames[-1].time if track.frames else 0.0, max((t.time for t in texts), default=0.0)]
    return max(ends)


def detect_digital_human(
    faces: FaceTrack,
    frame_texts: Sequence[FrameText] = (),
    transcript: Sequence[TranscriptSegment] = (),
    media_info: MediaInfo | None = None,
    room: RoomMeta | None = None,
    voice: VoiceFeatures | None = None,
    *,
    extra_signals: Sequence[Signal] = (),
    options: DigitalHumanOptions = DigitalHumanOptions(),
    snapshots: Sequence[tuple[float, str]] = (),
    stream: str = "",
) -> DigitalHumanResult:
    """Judge whether the host is likely AI-generated and whether that is disclosed.

    ``extra_signals`` carries signals computed outside, e.g. :func:`forgery_signal` of a
    user's model. The likelihood alone only ever yields ``review``; ``block`` needs the
    stream itself (metadata, speech, room data) to say it is AI while no label is shown.
    """
    duration = _duration(media_info, faces, frame_texts)
    host = judge_host(faces, voice, extra_signals, options)
    partial = DigitalHumanResult(
        judgement=host.judgement,
        view=host.view,
        likelihood=host.likelihood,
        ai_likely=host.ai_likely(options.threshold),
        signals=host.signals,
        label=screen_label(frame_texts, duration, options.max_gap),
        spoken=spoken_disclosures(transcript),
        metadata=metadata_label(media_info.metadata) if media_info is not None else None,
        room=room,
        findings=(),
    )
    findings = _findings(partial, duration, options, snapshots, stream)
    return replace(partial, findings=findings)




def declared_by(
    metadata: MetadataLabel | None, spoken: Sequence[SpokenDisclosure], room: RoomMeta | None
) -> tuple[Source, str] | None:
    """Which channel says the host is AI (metadata first, then speech, then the room data), and how; ``None``
    when none does."""
    if metadata is not None:
        return "metadata", f"implicit AIGC label in metadata tag {metadata.key} (Label={metadata.label})"
    if spoken:
        return "speech", f"the host says it is AI: {spoken[0].text}"
    if room is not None and room.declares_ai:
        return "room", "the room is registered with a digital-human host"
    return None


def options_used(options: DigitalHumanOptions) -> dict[str, float]:
    """The thresholds a finding was made with (echoed into its evidence)."""
    return {
        "max_gap": options.max_gap,
        "min_coverage": options.min_coverage,
        "min_label_height": options.min_label_height,
        "threshold": options.threshold,
    }


def dh_finding(
    category: str, risk: str, start: float, end: float, source: Source, text: str, confidence: float, rule: str,
    *, label: LabelCoverage, signals: dict[str, Any], snapshots: Sequence[tuple[float, str]], stream: str,
) -> Finding:
    """A digital-human finding with the snapshot nearest its middle and the detector's measurements."""
    evidence = Evidence(nearest_snapshot(snapshots, (start + end) / 2), label.text, signals)
    return Finding(category, risk, start, end, source, text, round(confidence, 3), BASIS, rule,  # type: ignore[arg-type]
                   stream=stream, evidence=evidence)


def _findings(
    result: DigitalHumanResult,
    duration: float,
    options: DigitalHumanOptions,
    snapshots: Sequence[tuple[float, str]],
    stream: str,
) -> tuple[Finding, ...]:
    label = result.label
    signals = {**result.summary(), "options": options_used(options)}

    def finding(category: str, risk: str, start: float, end: float, source: Source, text: str,
                confidence: float, rule: str) -> Finding:
        return dh_finding(category, risk, start, end, source, text, confidence, rule,
                          label=label, signals=signals, snapshots=snapshots, stream=stream)

    if label.seen and (label.gaps or label.coverage < options.min_coverage):
        gaps = "; ".join(f"{a:.0f}-{b:.0f}s" for a, b in label.gaps) or "short gaps"
        start, end = (label.gaps[0][0], label.gaps[-1][1]) if label.gaps else (0.0, duration)
        text = f"AI label '{label.text}' visible {label.coverage:.0%} of the time; missing {gaps}"
        return (finding("dh_label_intermittent", "review", start, end, "screen", text,
                        0.6 + 0.4 * (1.0 - label.coverage), "label_gaps"),)
    if label.seen and label.height_ratio < options.min_label_height:
        text = f"AI label '{label.text}' is not prominent: {label.height_ratio:.1%} of frame height, {label.position}"
        return (finding("dh_undisclosed", "review", 0.0, duration, "screen", text, 0.6, "label_not_prominent"),)
    if label.seen:
        return ()
    declared = declared_by(result.metadata, result.spoken, result.room)
    if declared is not None:
        source, why = declared
        text = f"no visible AI label while {why}"
        return (finding("dh_undisclosed", "block", 0.0, duration, source, text, 0.95, "declared_without_label"),)
    if result.ai_likely and result.likelihood is not None:
        text = f"host looks AI-generated (likelihood {result.likelihood:.2f}) and no AI label is shown"
        likelihood = result.likelihood
        return (finding("dh_undisclosed", "review", 0.0, duration, "video", text, likelihood, "likely_ai_no_label"),)
    return ()
