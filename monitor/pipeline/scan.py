"""The scan: source → decoded media → observations (the stored record) → detectors → findings.

:func:`observe` runs the observation stages and returns the record; its long sequences (on-screen
text, face frames, snapshot index, transcript) are written to blobs as they are made, into the
store when there is one, else into a temporary folder (:mod:`monitor.store.parts`).
:func:`findings_of` runs every detector on a record, reading those sequences back a part at a
time. ``scan`` is the two in turn; ``rescan`` (:mod:`monitor.pipeline.rescan`) loads stored
stages instead of observing them.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import av.container

from monitor import __version__
from monitor.config import ScanOptions
from monitor.detectors.claims import ClaimEngine
from monitor.detectors.digital_human import (
    DigitalHumanOptions,
    RoomMeta,
    load_room_meta,
    score_crops,
)
from monitor.detectors.stream import DetectorOptions, detect_stream
from monitor.errors import UnreadableMedia
from monitor.findings import with_provenance
from monitor.judge import Judge
from monitor.media.clips import StreamRecorder
from monitor.media.decode import DecodeReport, iter_media
from monitor.media.snapshots import SnapshotStore
from monitor.media.types import AudioPCM
from monitor.observations.asr import AsrEngine, prompt_of
from monitor.observations.asr_prompt import NO_PROMPT
from monitor.observations.chunked_asr import ChunkedTranscriber
from monitor.observations.record import DecodeSummary, ScreenRecord, SpeechRecord, StreamRecord
from monitor.observations.speaker_embed import SpeakerEncoder
from monitor.observations.speaker_turns import SpeakerTurnsBuilder
from monitor.observations.types import TranscriptSegment
from monitor.observations.voice import VoiceFeaturesBuilder
from monitor.pipeline.asr_prompts import prompted, room_options
from monitor.pipeline.beside import Beside
from monitor.pipeline.clip_evidence import clip_findings
from monitor.pipeline.engines import Engines
from monitor.pipeline.observe import StageTimer, StreamObservations, observe_stream
from monitor.pipeline.progress import ProgressHook, silent
from monitor.pipeline.provenance import finding_provenance
from monitor.pipeline.stage_options import decode_options
from monitor.pipeline.stored import STAGES, save_stages, source_keys
from monitor.results import ScanResult
from monitor.sinks.report_data import report_summary
from monitor.sources.open import is_url, open_source, probe
from monitor.sources.policy import SourcePolicy
from monitor.store import BlobStore, Store
from monitor.store.parts import RecordParts, RecordView, RecordWriter, SequenceWriter, temporary_blobs

__all__ = ["Observed", "detector_options", "findings_of", "observe", "scan"]

BESIDE_SECONDS = 120.0
"""Seconds of audio at most waiting for the voice features and speaker turns, which are told on a thread beside
speech recognition."""

@dataclass(slots=True)
class Observed:
    """What the observation stages made of one source: the record, its snapshots and the time spent."""

    record: RecordView
    snapshots: SnapshotStore
    seconds: dict[str, float] = field(default_factory=dict)
    recording: StreamRecorder | None = None
    """The local copy of a stream URL, when one was asked for (clips are cut from it)."""


def _summary(report: DecodeReport, stream_seconds: float | None = None) -> DecodeSummary:
    return DecodeSummary(
        stream_seconds=round(report.last_time if stream_seconds is None else stream_seconds, 3),
        corrupt_packets=report.corrupt_packets,
        decoded_frames=report.decoded_frames,
        stopped_early=report.stopped_early,
    )


class _SpeechPass:
    """Speech observed as audio is decoded: bounded-chunk transcription, the voice features and, with
    ``speakers``, the speaker turns.

    With ``transcript`` (a record's writer) each chunk's segments are written out once transcribed,
    and the record returned has none of its own.
    """

    def __init__(
        self, asr: AsrEngine, options: ScanOptions, hook: ProgressHook, total: float | None,
        transcript: SequenceWriter | None = None, speakers: SpeakerEncoder | None = None,
    ) -> None:
        self.asr = asr
        self.voice = VoiceFeaturesBuilder()
        self.turns = SpeakerTurnsBuilder(speakers) if speakers is not None else None
        self.turn_seconds = 0.0
        self.transcriber = ChunkedTranscriber(
            asr, chunk_seconds=options.asr_chunk_seconds, on_progress=lambda t: hook("asr", t, total)
        )
        self.transcript = transcript
        self._written = 0
        self.seconds = 0.0
        self._beside = Beside("livemon-voice", limit=BESIDE_SECONDS)

    def feed(self, chunk: AudioPCM) -> None:
        started = time.perf_counter()
        self._beside.submit(lambda: self._voice(chunk), chunk.duration)  # first: it goes on while Whisper runs
        self.transcriber.feed(chunk)
        self._write(self.transcriber.segments)
        self.seconds += time.perf_counter() - started

    def _voice(self, chunk: AudioPCM) -> None:
        """The voice features and the speaker turns of ``chunk`` (on the thread beside)."""
        self.voice.feed(chunk)
        if self.turns is not None:
            turns_started = time.perf_counter()
            self.turns.feed(chunk)
            self.turn_seconds += time.perf_counter() - turns_started

    def close(self) -> None:
        """Stop the thread beside (the record was made, or the pass failed)."""
        self._beside.close()

    def _write(self, segments: list[TranscriptSegment]) -> None:
        if self.transcript is not None:
            for segment in segments[self._written:]:
                self.transcript.add(segment)
            self._written = len(segments)

    def record(self, report: DecodeReport) -> SpeechRecord:
        started = time.perf_counter()
        segments = self.transcriber.finish()
        self._write(segments)
        self._beside.join()
        transcript = () if self.transcript is not None else tuple(segments)
        turns_started = time.perf_counter()
        turns = self.turns.result() if self.turns is not None else None
        self.turn_seconds += time.perf_counter() - turns_started
        self.seconds += time.perf_counter() - started
        features = self.voice.result()
        prompt = prompt_of(self.asr) or NO_PROMPT
        return SpeechRecord(
            transcript=transcript,
            voice=features,
            audio_seconds=round(features.duration, 3),
            decode=_summary(report, features.start + features.duration),
            asr=self.asr.name,
            turns=turns,
            prompt=prompt.ref,
            vertical=prompt.vertical,
        )


def _stream_length(container: av.container.InputContainer, options: ScanOptions) -> float | None:
    length = float(container.duration or 0) / 1_000_000 or None
    return min(length or 1e12, options.max_duration or 1e12) if length or options.max_duration else None


def _transcribe_file(
    spec: str, options: ScanOptions, asr: AsrEngine, hook: ProgressHook, transcript: SequenceWriter | None,
    speakers: SpeakerEncoder | None,
) -> tuple[SpeechRecord, float, float]:
    """Decode a local file's audio on its own and transcribe it as it is decoded, in bounded chunks
    (runs beside the video pass)."""
    started = time.perf_counter()
    container = open_source(spec, timeout=options.open_timeout, policy=SourcePolicy.from_options(options))
    speech: _SpeechPass | None = None
    try:
        speech = _SpeechPass(asr, options, hook, _stream_length(container, options), transcript, speakers)
        report = DecodeReport()
        for chunk in iter_media(container, decode_options(options, audio=True, video=False), report):
            if isinstance(chunk, AudioPCM):
                speech.feed(chunk)
        return speech.record(report), time.perf_counter() - started, speech.turn_seconds
    finally:
        container.close()
        if speech is not None:
            speech.close()


def _screen_record(seen: StreamObservations, options: ScanOptions, engines: Engines) -> ScreenRecord:
    forgery = score_crops(engines.forgery, seen.face_crops) if engines.forgery is not None and seen.faces else None
    return ScreenRecord(
        frame_interval=options.frame_interval,
        sampled_frames=seen.sampled_frames,
        frame_texts=tuple(seen.frame_texts),
        faces=seen.faces,
        forgery=forgery,
        snapshots=tuple(seen.snapshots.index),
        decode=_summary(seen.report),
        ocr=engines.ocr.name if engines.ocr is not None else None,
    )


def observe(
    spec: str,
    options: ScanOptions,
    engines: Engines,
    hook: ProgressHook = silent,
    *,
    stages: tuple[str, ...] = STAGES,
    spill: Path | None = None,
    record_to: Path | None = None,
    blobs: BlobStore | None = None,
) -> Observed:
    """Run the observation ``stages`` ('screen', 'speech') on one source.

    For a local file with both tracks, speech is transcribed in a worker thread from
    its own audio-only pass while the main pass reads the screen and tracks faces
    (CTranslate2, onnxruntime and MediaPipe release the GIL), and faces are tracked on a third
    thread beside it. A URL is read once. Speech is
    transcribed in bounded chunks as it is decoded; with ``spill`` (a folder) the snapshot of
    every sampled frame goes to disk instead of memory; with ``record_to`` (a file) a URL's
    packets are copied there as they are read; with ``blobs`` the record's long sequences are
    written there as they are made (:mod:`monitor.store.parts`) instead of held until the end.
    """
    writer = RecordWriter(blobs) if blobs is not None else None
    transcript = writer.transcript if writer is not None else None
    container = open_source(spec, timeout=options.open_timeout, policy=SourcePolicy.from_options(options))
    face_engine = recording = None
    single: _SpeechPass | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="livemon-asr") as pool:
        try:
            info = probe(container, spec)
            asr = prompted(engines.asr, options) if engines.asr and "speech" in stages and info.has_audio else None
            want_screen = "screen" in stages and info.has_video and (engines.ocr is not None or bool(engines.faces))
            early = (
                pool.submit(_transcribe_file, spec, options, asr, hook, transcript, engines.speakers)
                if asr is not None and want_screen and not is_url(spec)
                else None
            )
            face_engine = engines.faces() if want_screen and options.faces and engines.faces else None
            recording = StreamRecorder(container.streams, record_to) if record_to and is_url(spec) else None
            single = (
                _SpeechPass(asr, options, hook, _stream_length(container, options), transcript, engines.speakers)
                if asr and early is None else None
            )
            seen = observe_stream(
                container, info, options,
                on_audio=single.feed if single is not None else None,
                ocr=engines.ocr if want_screen else None, faces=face_engine,
                crop_interval=1.0 if engines.forgery is not None else None, hook=hook, spill=spill,
                on_packet=recording.add if recording is not None else None, writer=writer,
            )
            timer = seen.timer
            speech: SpeechRecord | None = None
            turn_seconds = 0.0
            if single is not None:
                speech = single.record(seen.report if not want_screen else DecodeReport())
                timer.seconds["asr"], turn_seconds = single.seconds, single.turn_seconds
        finally:
            container.close()
            if recording is not None:
                recording.close()
            if face_engine is not None:
                face_engine.close()
            if single is not None:
                single.close()
        if early is not None:
            speech, timer.seconds["asr"], turn_seconds = early.result()
        if engines.speakers is not None and speech is not None:
            timer.seconds["turns"] = turn_seconds  # inside the asr seconds (the same thread)
    if not seen.sampled_frames and not (speech is not None and speech.audio_seconds):
        reason = seen.report.stopped_early or "no audio or video frame could be decoded"
        raise UnreadableMedia(f"nothing could be decoded from this source: {reason}", source=info.source)
    screen = _screen_record(seen, options, engines) if want_screen else None
    head = StreamRecord(info=info, screen=screen, speech=speech)
    parts = writer.close() if writer is not None else RecordParts()
    return Observed(RecordView(head, parts, blobs), seen.snapshots, dict(timer.seconds), recording)


def record_warnings(record: RecordView, options: ScanOptions) -> list[str]:
    """Say what could not be checked in a record, and what the decoder had to skip."""
    info, screen, speech = record.head.info, record.head.screen, record.head.speech
    warnings = []
    if options.speech and not info.has_audio:
        warnings.append("the source has no audio track: speech was not checked")
    if options.screen and not info.has_video:
        warnings.append("the source has no video track: on-screen text was not checked")
    summaries = [part.decode for part in (screen, speech) if part is not None]
    for stopped in dict.fromkeys(s.stopped_early for s in summaries if s.stopped_early):
        warnings.append(stopped)
    corrupt = sum(s.corrupt_packets for s in summaries)
    if corrupt:
        warnings.append(f"{corrupt} corrupt packet(s) were skipped")
    if speech is not None and speech.audio_seconds > 0 and not len(record.transcript()):
        warnings.append("no speech was found in the audio track")
    return warnings


def detector_options(options: ScanOptions) -> DetectorOptions:
    """The detector-side part of the scan options (the only part a rules-only rescan changes)."""
    return DetectorOptions(
        min_confidence=options.min_confidence,
        digital_human=DigitalHumanOptions(max_gap=options.dh_gap, threshold=options.dh_threshold),
    )


def findings_of(
    spec: str,
    observed: Observed,
    options: ScanOptions,
    claims: ClaimEngine,
    *,
    room: RoomMeta | None = None,
) -> ScanResult:
    """Run every detector on an observed (or stored) record and put the result together.

    The record's long sequences are read a part at a time; the result's transcript and on-screen
    text read them again when asked (they are not held).
    """
    record = observed.record
    head = record.head
    timer = StageTimer()
    with timer("detect"):
        detection = detect_stream(record, claims, detector_options(options), room=room, stream=spec)
    findings = with_provenance(detection.findings, finding_provenance(options, claims, head.models))
    warnings = record_warnings(record, options)
    dh = detection.digital_human
    if dh is not None and not dh.judgement.judged:
        warnings.append(f"digital-human likelihood not judged: {dh.judgement.reason}")
    screen, speech = head.screen, head.speech
    frame_texts = record.frame_texts()
    observed.snapshots.keep_only({f.evidence.snapshot for f in findings if f.evidence.snapshot})
    return ScanResult(
        info=head.info,
        findings=findings,
        transcript=record.transcript(),
        frame_texts=frame_texts,
        snapshots=observed.snapshots,
        digital_human=dh,
        room=room,
        warnings=warnings,
        stats={
            "stream_seconds": head.stream_seconds,
            **{f"{stage}_seconds": round(secs, 3) for stage, secs in {**observed.seconds, **timer.seconds}.items()},
            "sampled_frames": screen.sampled_frames if screen else 0,
            "ocr_frames": sum(1 for f in frame_texts if not f.reused),
            "corrupt_packets": sum(p.decode.corrupt_packets for p in (screen, speech) if p is not None),
        },
        provenance={
            "livemon": __version__,
            "options": options.model_dump(mode="json"),
            **head.models,
            "rules": claims.version,
            "rule_descriptions": {f.rule: claims.rule_description(f.rule) for f in findings if f.rule},
        },
        record=record,
    )


def scan(
    spec: str,
    options: ScanOptions,
    engines: Engines,
    hook: ProgressHook = silent,
    *,
    clips: Path | None = None,
    store: Store | None = None,
    judge: Judge | None = None,
) -> ScanResult:
    """Scan one recording or stream URL and return its findings with evidence.

    With ``clips`` (a folder) each finding's evidence gets an MP4 clip of the file around it.
    With ``store`` the record of every stage (with every sampled frame's snapshot) is written there
    as it is made, and the findings and the report's summary are kept with it under the keys a
    rescan looks for (:mod:`monitor.pipeline.stored`): a rescan with the same settings then skips
    the source, one with new rules runs only the detectors, and ``livemon report`` makes the
    report again. Without a store the record goes to a temporary folder that lives as long as the
    result. ``judge`` gives review findings an LLM second opinion before they are kept.
    """
    started = time.perf_counter()
    room = load_room_meta(options.room_meta) if options.room_meta is not None else None
    options = room_options(options, room)
    keys = source_keys(spec, options, engines.claims, options.room_meta) if store is not None else None
    if keys is not None and judge is not None:
        keys = keys.with_settings(judge=judge.key())
    spill = Path(tempfile.mkdtemp(prefix="livemon-snapshots-"))
    copy = spill.with_name(spill.name + "-stream.mkv") if clips is not None and is_url(spec) else None
    blobs = store.blobs if store is not None else temporary_blobs()
    warming = ThreadPoolExecutor(max_workers=1, thread_name_prefix="livemon-warm")
    try:
        warmed = warming.submit(engines.claims.warm_up)  # the classifier loads beside the media's observation
        observed = observe(spec, options, engines, hook, spill=spill, record_to=copy, blobs=blobs)
        warmed.result()
        if store is not None and keys is not None:
            store.remember_source(keys.source, spec, keys.size)
            store.remember_run(keys.run, keys.settings)
            _, stored_snapshots = save_stages(store, keys, tuple(keys.stages), observed.record,
                                              observed.snapshots.images)
        # the findings' snapshots stay in the spill folder, which the result's snapshot store now owns
        result = findings_of(spec, observed, options, engines.claims, room=room)
    except BaseException:
        shutil.rmtree(spill, ignore_errors=True)
        if copy is not None:
            copy.unlink(missing_ok=True)
        raise
    finally:
        warming.shutdown(wait=True)
    if judge is not None:
        result.findings = judge.findings(result.findings, result.provenance.get("rule_descriptions", {}))
        result.provenance["judge"] = judge.key()
    if store is not None and keys is not None:
        store.record_findings(keys.source, keys.run, [f.to_dict() for f in result.findings], stored_snapshots,
                              report_summary(result))
    if clips is not None:
        try:
            result.findings, clip_warnings = clip_findings(spec, result.findings, clips, observed.recording)
        finally:
            if copy is not None:
                copy.unlink(missing_ok=True)
        result.warnings += clip_warnings
    result.stats["wall_seconds"] = round(time.perf_counter() - started, 3)
    hook("detect", 1, 1)
    return result
