"""The scan: source → decoded media → observations → detectors → findings."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from monitor import __version__
from monitor.config import ScanOptions
from monitor.detectors.digital_human import (
    DigitalHumanOptions,
    DigitalHumanResult,
    RoomMeta,
    detect_digital_human,
    forgery_signal,
    load_room_meta,
)
from monitor.detectors.marketing import screen_findings, speech_findings
from monitor.errors import UnreadableMedia
from monitor.findings import Finding
from monitor.media.decode import DecodeOptions, DecodeReport, iter_media, join_audio
from monitor.media.types import AudioPCM, MediaInfo
from monitor.observations.asr import AsrEngine
from monitor.observations.types import FrameText, TranscriptSegment
from monitor.pipeline.engines import Engines
from monitor.pipeline.observe import StreamObservations, observe_stream
from monitor.pipeline.progress import ProgressHook, silent
from monitor.pipeline.snapshots import SnapshotStore
from monitor.sources.open import is_url, open_source, probe

__all__ = ["ScanResult", "scan"]


@dataclass(slots=True)
class ScanResult:
    """Everything a scan produced, and how."""

    info: MediaInfo
    findings: list[Finding]
    transcript: list[TranscriptSegment]
    frame_texts: list[FrameText]
    snapshots: SnapshotStore
    digital_human: DigitalHumanResult | None = None
    room: RoomMeta | None = None
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return self.stats.get("stream_seconds", 0.0)


def _transcribe_file(
    spec: str, options: ScanOptions, asr: AsrEngine, hook: ProgressHook
) -> tuple[AudioPCM, list[TranscriptSegment], DecodeReport, float]:
    """Decode a local file's audio on its own and transcribe it (runs beside the video pass)."""
    started = time.perf_counter()
    container = open_source(spec, timeout=options.open_timeout)
    try:
        report = DecodeReport()
        decode = DecodeOptions(video=False, max_duration=options.max_duration)
        audio = join_audio([c for c in iter_media(container, decode, report) if isinstance(c, AudioPCM)])
    finally:
        container.close()
    transcript = asr.transcribe(audio, on_progress=lambda t: hook("asr", t, audio.duration)) if audio.duration else []
    return audio, transcript, report, time.perf_counter() - started


def scan(spec: str, options: ScanOptions, engines: Engines, hook: ProgressHook = silent) -> ScanResult:
    """Scan one recording or stream URL and return its findings with evidence.

    For a local file with both tracks, speech is transcribed in a worker thread from
    its own audio-only pass while the main pass reads the screen and tracks faces
    (CTranslate2, onnxruntime and MediaPipe release the GIL). A URL is read once.
    """
    started = time.perf_counter()
    room = load_room_meta(options.room_meta) if options.room_meta is not None else None
    container = open_source(spec, timeout=options.open_timeout)
    face_engine = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="livemon-asr") as pool:
        try:
            info = probe(container, spec)
            early = (
                pool.submit(_transcribe_file, spec, options, engines.asr, hook)
                if engines.asr is not None and info.has_audio and info.has_video and not is_url(spec)
                else None
            )
            face_engine = engines.faces() if options.faces and engines.faces and info.has_video else None
            seen = observe_stream(
                container, info, options,
                want_audio=engines.asr is not None and early is None, ocr=engines.ocr, faces=face_engine,
                crop_interval=1.0 if engines.forgery is not None else None, hook=hook,
            )
        finally:
            container.close()
            if face_engine is not None:
                face_engine.close()
        timer = seen.timer
        timer.seconds["decode"] = time.perf_counter() - started - timer.seconds["ocr"] - timer.seconds["faces"]
        transcript: list[TranscriptSegment] = []
        if early is not None:
            seen.audio, transcript, audio_report, timer.seconds["asr"] = early.result()
            seen.report.corrupt_packets += audio_report.corrupt_packets
    warnings = _track_warnings(info, seen, options)
    audio = seen.audio
    if early is None and engines.asr is not None and audio.duration > 0:
        with timer("asr"):
            transcript = engines.asr.transcribe(audio, on_progress=lambda t: hook("asr", t, audio.duration))
    if engines.asr is not None and audio.duration > 0 and not transcript:
        warnings.append("no speech was found in the audio track")

    with timer("detect"):
        findings = speech_findings(transcript, engines.claims, stream=spec, snapshots=seen.snapshots.index)
        findings += screen_findings(
            seen.frame_texts, engines.claims, frame_interval=options.frame_interval, stream=spec,
            snapshots=seen.snapshots.index,
        )
        digital_human = None
        if seen.faces is not None:
            extra = (forgery_signal(engines.forgery, seen.face_crops),) if engines.forgery is not None else ()
            digital_human = detect_digital_human(
                seen.faces, seen.frame_texts, transcript, info, room, audio,
                extra_signals=extra,
                options=DigitalHumanOptions(max_gap=options.dh_gap, threshold=options.dh_threshold),
                snapshots=seen.snapshots.index, stream=spec,
            )
            findings += digital_human.findings
            if not digital_human.judgement.judged:
                warnings.append(f"digital-human likelihood not judged: {digital_human.judgement.reason}")
    findings = sorted(
        (f for f in findings if f.confidence >= options.min_confidence), key=lambda f: (f.start, f.source, f.category)
    )
    seen.snapshots.keep_only({f.evidence.snapshot for f in findings if f.evidence.snapshot})
    hook("detect", 1, 1)
    return ScanResult(
        info=info,
        findings=findings,
        transcript=transcript,
        frame_texts=seen.frame_texts,
        snapshots=seen.snapshots,
        digital_human=digital_human,
        room=room,
        warnings=warnings,
        stats={
            "stream_seconds": round(max(seen.report.last_time, audio.start + audio.duration), 3),
            "wall_seconds": round(time.perf_counter() - started, 3),
            **{f"{stage}_seconds": round(secs, 3) for stage, secs in timer.seconds.items()},
            "sampled_frames": seen.sampled_frames,
            "ocr_frames": sum(1 for f in seen.frame_texts if not f.reused),
            "corrupt_packets": seen.report.corrupt_packets,
        },
        provenance={
            "livemon": __version__,
            "options": options.model_dump(mode="json"),
            "asr": engines.asr.name if engines.asr else None,
            "ocr": engines.ocr.name if engines.ocr else None,
            "faces": face_engine.name if face_engine is not None else None,
            "rules": engines.claims.version,
            "rule_descriptions": {f.rule: engines.claims.rule_description(f.rule) for f in findings if f.rule},
        },
    )


def _track_warnings(info: MediaInfo, seen: StreamObservations, options: ScanOptions) -> list[str]:
    """Say what could not be checked; raise when nothing at all could be decoded."""
    report = seen.report
    if seen.audio.duration == 0 and not seen.sampled_frames:
        reason = report.stopped_early or "no audio or video frame could be decoded"
        raise UnreadableMedia(f"nothing could be decoded from this source: {reason}", source=info.source)
    warnings = []
    if options.speech and not info.has_audio:
        warnings.append("the source has no audio track: speech was not checked")
    if options.screen and not info.has_video:
        warnings.append("the source has no video track: on-screen text was not checked")
    if report.stopped_early:
        warnings.append(report.stopped_early)
    if report.corrupt_packets:
        warnings.append(f"{report.corrupt_packets} corrupt packet(s) were skipped")
    return warnings
