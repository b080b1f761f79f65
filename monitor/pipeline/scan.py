"""The scan: source → decoded media → observations → detectors → findings."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from monitor import __version__
from monitor.config import ScanOptions
from monitor.detectors.digital_human import (
    DigitalHumanOptions,
    DigitalHumanResult,
    detect_digital_human,
    forgery_signal,
    load_room_meta,
)
from monitor.detectors.marketing import screen_findings, speech_findings
from monitor.errors import UnreadableMedia
from monitor.findings import Finding
from monitor.media.decode import DecodeOptions, DecodeReport, iter_media, join_audio
from monitor.media.types import AudioPCM, MediaInfo, SampledFrame
from monitor.observations.faces import FaceOptions, FaceTracker
from monitor.observations.ocr import OcrEngine
from monitor.observations.text_gate import TextChangeGate, TextGateOptions
from monitor.observations.types import FrameText, TranscriptSegment
from monitor.pipeline.engines import Engines
from monitor.pipeline.progress import ProgressHook, silent
from monitor.pipeline.snapshots import SnapshotStore
from monitor.sources.open import open_source, probe

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
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return self.stats.get("stream_seconds", 0.0)


def _read_screen(
    frame: SampledFrame, ocr: OcrEngine, gate: TextChangeGate, last: FrameText | None
) -> FrameText:
    if last is not None and not gate.needs_read(frame.image, frame.time):
        return FrameText(
            time=frame.time, frame_index=frame.index, boxes=last.boxes,
            width=frame.image.shape[1], height=frame.image.shape[0], reused=True,
        )
    boxes = ocr.read([frame.image])[0]
    gate.remember(frame.image, frame.time, boxes)
    return FrameText(
        time=frame.time, frame_index=frame.index, boxes=boxes,
        width=frame.image.shape[1], height=frame.image.shape[0],
    )


def scan(spec: str, options: ScanOptions, engines: Engines, hook: ProgressHook = silent) -> ScanResult:
    """Scan one recording or stream URL and return its findings with evidence."""
    started = time.perf_counter()
    room = load_room_meta(options.room_meta) if options.room_meta is not None else None
    container = open_source(spec, timeout=options.open_timeout)
    face_engine = None
    try:
        face_engine = engines.faces() if engines.faces is not None else None
        info = probe(container, spec)
        report = DecodeReport()
        decode_options = DecodeOptions(
            frame_interval=options.frame_interval,
            scene_threshold=options.scene_threshold,
            max_duration=options.max_duration,
            audio=options.speech and engines.asr is not None,
            video=(options.screen and engines.ocr is not None) or face_engine is not None,
            dense_interval=1.0 / options.face_fps if face_engine is not None else None,
            dense_window=options.face_window,
            dense_period=options.face_period,
        )
        face_options = FaceOptions(fps=options.face_fps, crop_interval=1.0 if engines.forgery else None)
        tracker = FaceTracker(face_engine, face_options) if face_engine is not None else None
        face_seconds = 0.0
        gate = TextChangeGate(TextGateOptions(enabled=options.text_gate, refresh_every=options.ocr_refresh))
        audio_chunks: list[AudioPCM] = []
        frame_texts: list[FrameText] = []
        snapshots = SnapshotStore()
        ocr_seconds = 0.0
        total = info.duration if options.max_duration is None else min(info.duration or 1e12, options.max_duration)
        for item in iter_media(container, decode_options, report, on_time=lambda t: hook("decode", t, total)):
            if isinstance(item, AudioPCM):
                audio_chunks.append(item)
                continue
            if item.reason == "dense":
                t0 = time.perf_counter()
                tracker.add(item)  # type: ignore[union-attr]
                face_seconds += time.perf_counter() - t0
                continue
            snapshots.add(item)
            if engines.ocr is None:
                continue
            t0 = time.perf_counter()
            frame_texts.append(_read_screen(item, engines.ocr, gate, frame_texts[-1] if frame_texts else None))
            ocr_seconds += time.perf_counter() - t0
    finally:
        container.close()
        if face_engine is not None:
            face_engine.close()
    decode_seconds = time.perf_counter() - started - ocr_seconds - face_seconds

    warnings = _track_warnings(info, report, options, audio_chunks, frame_texts)
    audio = join_audio(audio_chunks)
    t0 = time.perf_counter()
    transcript: list[TranscriptSegment] = []
    if engines.asr is not None and audio.duration > 0:
        transcript = engines.asr.transcribe(audio, on_progress=lambda t: hook("asr", t, audio.duration))
        if not transcript:
            warnings.append("no speech was found in the audio track")
    asr_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    findings = speech_findings(transcript, engines.claims, stream=spec, snapshots=snapshots.index)
    findings += screen_findings(
        frame_texts, engines.claims, frame_interval=options.frame_interval, stream=spec, snapshots=snapshots.index
    )
    digital_human = None
    if tracker is not None:
        track, crops = tracker.finish()
        extra = (forgery_signal(engines.forgery, crops),) if engines.forgery is not None else ()
        digital_human = detect_digital_human(
            track, frame_texts, transcript, info, room, audio,
            extra_signals=extra,
            options=DigitalHumanOptions(max_gap=options.dh_gap, threshold=options.dh_threshold),
            snapshots=snapshots.index, stream=spec,
        )
        findings += digital_human.findings
        if not digital_human.judgement.judged:
            warnings.append(f"digital-human likelihood not judged: {digital_human.judgement.reason}")
    findings = sorted(
        (f for f in findings if f.confidence >= options.min_confidence), key=lambda f: (f.start, f.source, f.category)
    )
    snapshots.keep_only({f.evidence.snapshot for f in findings if f.evidence.snapshot})
    hook("detect", 1, 1)
    stream_seconds = max(report.last_time, audio.start + audio.duration)
    return ScanResult(
        info=info,
        findings=findings,
        transcript=transcript,
        frame_texts=frame_texts,
        snapshots=snapshots,
        digital_human=digital_human,
        warnings=warnings,
        stats={
            "stream_seconds": round(stream_seconds, 3),
            "wall_seconds": round(time.perf_counter() - started, 3),
            "decode_seconds": round(decode_seconds, 3),
            "ocr_seconds": round(ocr_seconds, 3),
            "face_seconds": round(face_seconds, 3),
            "asr_seconds": round(asr_seconds, 3),
            "detect_seconds": round(time.perf_counter() - t0, 3),
            "sampled_frames": len(frame_texts),
            "ocr_frames": sum(1 for f in frame_texts if not f.reused),
            "corrupt_packets": report.corrupt_packets,
        },
        provenance={
            "livemon": __version__,
            "options": options.model_dump(mode="json"),
            "asr": engines.asr.name if engines.asr else None,
            "ocr": engines.ocr.name if engines.ocr else None,
            "rules": engines.claims.version,
            "faces": face_engine.name if face_engine is not None else None,
        },
    )


def _track_warnings(
    info: MediaInfo,
    report: DecodeReport,
    options: ScanOptions,
    audio_chunks: list[AudioPCM],
    frame_texts: list[FrameText],
) -> list[str]:
    """Say what could not be checked; raise when nothing at all could be decoded."""
    if not audio_chunks and not frame_texts:
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
