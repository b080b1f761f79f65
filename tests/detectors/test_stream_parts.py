"""Detection over a record read a part at a time finds exactly what detection over the whole record in memory
found: the same findings (context lines across batch cuts included) and the same digital-human judgement."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.detectors import stream as stream_module
from monitor.detectors.claims import ClaimEngine
from monitor.detectors.digital_human import DigitalHumanResult, detect_digital_human
from monitor.detectors.stream import DetectorOptions, StreamDetector, detect_stream
from monitor.findings import Finding
from monitor.media.types import MediaInfo
from monitor.observations.faces import FaceFrame, FaceObservation, FaceTrack
from monitor.observations.record import DecodeSummary, ScreenRecord, SpeechRecord, StreamRecord
from monitor.observations.types import FrameText, TextBox, TranscriptSegment
from monitor.store import BlobStore
from monitor.store.parts import RecordView, RecordWriter

LINES = ("家人们晚上好", "这款面霜是全网最低价", "原价599今天只要59", "今天的快递都是顺丰", "喝了能治高血压",
         "最后十单卖完就没", "本直播由AI生成", "大家可以看看质地")
CAPTIONS = ("全网最低价", "", "限时秒杀 仅剩3件", "包邮到家", "国家级 最佳")


@pytest.fixture(scope="module")
def engine() -> ClaimEngine:
    return ClaimEngine.load()


def _record() -> StreamRecord:
    """Ten minutes of a room: a line every 2 s, a sampled frame every second, an AI label with gaps, a face."""
    transcript = tuple(TranscriptSegment(i * 2.0, i * 2.0 + 1.8, LINES[(i * 5) % len(LINES)], confidence=0.8)
                       for i in range(300))
    frames = []
    for i in range(600):
        boxes = [TextBox(CAPTIONS[(i // 7) % len(CAPTIONS)], (20.0, 300.0, 400.0, 330.0), 0.95)]
        if (i // 40) % 5 != 3:  # the label disappears for 40 s every 200 s
            boxes.insert(0, TextBox("AI生成", (560.0, 10.0, 630.0, 30.0), 0.9))
        frames.append(FrameText(float(i), i, tuple(b for b in boxes if b.text), 640, 360, reused=i % 3 != 0))
    face = FaceObservation((200.0, 80.0, 440.0, 320.0), 0.1, 0.1, 0.3, 2.0, 1.0, 0.5)
    faces = FaceTrack(tuple(FaceFrame(i / 10, 1, 120.0, face, 12345) for i in range(600)), 640, 360, 10.0, "test")
    screen = ScreenRecord(1.0, 600, tuple(frames), faces, None, tuple((float(i), f"f{i}.jpg") for i in range(600)),
                          DecodeSummary(600.0), "test-ocr")
    speech = SpeechRecord(transcript, audio_seconds=600.0, decode=DecodeSummary(600.0), asr="test-asr")
    return StreamRecord(MediaInfo("room.mp4", 600.0, True, True, 640, 360, 25.0), screen, speech)


def _as_parts(record: StreamRecord, blobs: BlobStore) -> RecordView:
    writer = RecordWriter(blobs)
    for seq in (writer.frame_texts, writer.face_frames, writer.snapshots, writer.transcript):
        seq.part_items = 37
    screen, speech = record.screen, record.speech
    assert screen is not None and screen.faces is not None and speech is not None
    for frame in screen.frame_texts:
        writer.frame_texts.add(frame)
    for snapshot in screen.snapshots:
        writer.snapshots.add(snapshot)
    for face in screen.faces.frames:
        writer.face_frames.add(face)
    for segment in speech.transcript:
        writer.transcript.add(segment)
    head = StreamRecord(record.info, ScreenRecord(screen.frame_interval, screen.sampled_frames,
                                                  faces=FaceTrack((), 640, 360, 10.0, "test"),
                                                  decode=screen.decode, ocr=screen.ocr),
                        SpeechRecord(audio_seconds=speech.audio_seconds, decode=speech.decode, asr=speech.asr))
    return RecordView(head, writer.close(), blobs)


def _whole_record_detection(
    record: StreamRecord, claims: ClaimEngine, options: DetectorOptions
) -> tuple[list[Finding], DigitalHumanResult]:
    """Detection as it ran before records were read in parts: every sequence in memory, checked at once."""
    screen, speech = record.screen, record.speech
    assert screen is not None and screen.faces is not None and speech is not None
    detector = StreamDetector(claims, options, frame_interval=screen.frame_interval, stream="room")
    findings = detector.speech(speech.transcript, screen.snapshots)
    findings += detector.screen_many(sorted(screen.frame_texts, key=lambda f: f.time), screen.snapshots)
    findings += detector.finish(screen.snapshots)
    dh = detect_digital_human(screen.faces, screen.frame_texts, speech.transcript, record.info, None, speech.voice,
                              options=options.digital_human, snapshots=screen.snapshots, stream="room")
    findings += [f for f in dh.findings if f.confidence >= options.min_confidence]
    return sorted(findings, key=lambda f: (f.start, f.source, f.category)), dh


def test_parts_and_batches_find_what_the_whole_record_found(
    engine: ClaimEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream_module, "SPEECH_BATCH", 11)  # many batch cuts, each needing the next line
    record = _record()
    expected, dh = _whole_record_detection(record, engine, DetectorOptions())
    for view in (RecordView(record), _as_parts(record, BlobStore(tmp_path))):
        got = detect_stream(view, engine, DetectorOptions(), stream="room")
        assert [f.to_dict() for f in got.findings] == [f.to_dict() for f in expected]
        assert got.digital_human is not None and got.digital_human.summary() == dh.summary()
    sources = {f.source for f in expected}
    assert {"speech", "screen"} <= sources and any(f.category == "dh_label_intermittent" for f in expected)
    last_of_batch = [f.evidence.context for f in expected if f.source == "speech" and f.start == 20.0]
    assert last_of_batch == ["最后十单卖完就没 / 原价599今天只要59 / 大家可以看看质地"]  # shows the next batch's first
