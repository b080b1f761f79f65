"""A record's long sequences written as parts while they are made: read back exactly, a part at a time or
whole, stored and collected on SQLite and PostgreSQL, and beside records stored in one piece."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.media.types import MediaInfo
from monitor.observations.faces import FaceFrame, FaceObservation, FaceTrack
from monitor.observations.record import DecodeSummary, ScreenRecord, SpeechRecord, StreamRecord
from monitor.observations.types import FrameText, TextBox, TranscriptSegment
from monitor.store import BlobStore, Store
from monitor.store.parts import PartedSequence, RecordParts, RecordView, RecordWriter, SequenceWriter

INFO = MediaInfo("room.mp4", 60.0, True, True, 640, 360, 25.0)
NAN = float("nan")


def _frames(n: int) -> list[FrameText]:
    return [FrameText(i * 1.0, i, (TextBox(f"全网最低价{i % 3}", (1.0, 2.0, 30.5, 9.25), 0.93),), 640, 360, i % 2 == 1)
            for i in range(n)]


def _faces(n: int) -> list[FaceFrame]:
    seen = FaceObservation((1.0, 2.0, 3.5, 4.25), 0.1, 0.2, 0.3, 1.1, -2.2, 3.3)
    box_only = FaceObservation((5.0, 6.0, 7.0, 8.0), NAN, NAN, NAN, NAN, NAN, NAN)
    return [FaceFrame(i / 10, 1 + i % 2, 100.5, seen if i % 2 == 0 else box_only, 2**63 - i) for i in range(n)]


def _segments(n: int) -> list[TranscriptSegment]:
    return [TranscriptSegment(i * 2.0, i * 2.0 + 1.5, f"第{i}句", f"第{i}句 raw", 0.5 + i / (2 * n)) for i in range(n)]


def _snapshots(n: int) -> list[tuple[float, str]]:
    return [(i * 1.0, f"frame_{i:06d}_{i:09.2f}s.jpg") for i in range(n)]


def _written(blobs: BlobStore, part_items: int = 7) -> tuple[StreamRecord, RecordView]:
    """The same observations as one whole record, and written as parts of ``part_items`` items."""
    frames, faces, segments, snapshots = _frames(40), _faces(55), _segments(23), _snapshots(40)
    writer = RecordWriter(blobs)
    for seq in (writer.frame_texts, writer.face_frames, writer.snapshots, writer.transcript):
        seq.part_items = part_items
    for frame, snapshot in zip(frames, snapshots, strict=True):
        writer.frame_texts.add(frame)
        writer.snapshots.add(snapshot)
    for face in faces:
        writer.face_frames.add(face)
    for segment in segments:
        writer.transcript.add(segment)
    track = FaceTrack((), 640, 360, 10.0, "mediapipe")
    screen = ScreenRecord(1.0, 40, faces=track, decode=DecodeSummary(39.0), ocr="rapidocr")
    speech = SpeechRecord(audio_seconds=46.0, decode=DecodeSummary(46.0), asr="faster-whisper")
    head = StreamRecord(INFO, screen, speech)
    whole = StreamRecord(INFO, replace(screen, frame_texts=tuple(frames), snapshots=tuple(snapshots),
                                       faces=replace(track, frames=tuple(faces))),
                         replace(speech, transcript=tuple(segments)))
    return whole, RecordView(head, writer.close(), blobs)


def _same(a: StreamRecord, b: StreamRecord) -> bool:
    """Equal, NaN blendshapes included (NaN is not equal to itself)."""
    from monitor.observations.record import dump_json

    return dump_json(a) == dump_json(b)


def test_parts_read_back_exactly_a_part_at_a_time_or_whole(tmp_path: Path) -> None:
    whole, view = _written(BlobStore(tmp_path))
    assert view.parts.frame_texts.items == 40 and len(view.parts.frame_texts.parts) == 6
    assert _same(view.whole(), whole)
    texts = view.frame_texts()
    assert isinstance(texts, PartedSequence) and len(texts) == 40
    assert list(texts) == list(whole.screen.frame_texts)  # type: ignore[union-attr]
    assert texts[13] == whole.screen.frame_texts[13] and texts[-1] == whole.screen.frame_texts[-1]  # type: ignore[union-attr]
    assert list(texts[5:16:5]) == list(whole.screen.frame_texts[5:16:5])  # type: ignore[union-attr]
    with pytest.raises(IndexError):
        texts[40]
    assert list(view.transcript()) == list(whole.speech.transcript)  # type: ignore[union-attr]
    assert view.faces() is not None and len(view.faces().frames) == 55  # type: ignore[union-attr]
    assert view.ordered("transcript") and view.ordered("frame_texts")


def test_a_record_held_in_one_piece_reads_the_same_way(tmp_path: Path) -> None:
    whole, _ = _written(BlobStore(tmp_path))
    held = RecordView(whole)
    assert held.parts.empty and held.whole() is whole
    assert held.transcript() is whole.speech.transcript  # type: ignore[union-attr]
    assert held.ordered("frame_texts")
    backwards = replace(whole, speech=replace(whole.speech, transcript=whole.speech.transcript[::-1]))  # type: ignore[arg-type]
    assert not RecordView(backwards).ordered("transcript")


def test_a_sequence_written_out_of_time_order_says_so(tmp_path: Path) -> None:
    writer = SequenceWriter(BlobStore(tmp_path), "transcript", part_items=2)
    for segment in [*_segments(3), TranscriptSegment(0.5, 1.0, "晚到的一句")]:
        writer.add(segment)
    parts = writer.close()
    assert not parts.ordered and parts.items == 4 and len(parts.parts) == 2


def test_stored_parts_load_back_and_are_kept_from_gc(store: Store) -> None:
    whole, view = _written(store.blobs)
    store.remember_source("sha256:aa", "room.mp4", 10)
    for stage in ("screen", "speech"):
        part = view.stage(stage)
        store.save_stage("sha256:aa", stage, "k1", part.head, {}, part.parts)
    loaded = {stage: store.load_stage("sha256:aa", stage, "k1") for stage in ("screen", "speech")}
    screen, speech = (loaded[s].view(store.blobs) for s in ("screen", "speech"))  # type: ignore[union-attr]
    assert screen.head.screen is not None and screen.head.screen.frame_texts == ()  # the record keeps no sequence
    assert list(screen.frame_texts()) == list(whole.screen.frame_texts)  # type: ignore[union-attr]
    assert list(speech.transcript()) == list(whole.speech.transcript)  # type: ignore[union-attr]
    assert screen.parts.transcript == RecordParts().transcript  # each stage names only its own sequences

    orphan = store.blobs.put_json(b"[]")  # a part of a scan that died before its stage was stored
    old = time.time() - 4 * 365 * 86400
    for digest in [orphan, *view.parts.blobs()]:
        os.utime(store.blobs.path(digest), (old, old))
    counts = store.gc(timedelta(days=3 * 365))
    assert counts["removed"] == 1 and not store.blobs.path(orphan).exists()
    assert list(store.load_stage("sha256:aa", "screen", "k1").view(store.blobs).frame_texts()) == list(  # type: ignore[union-attr]
        whole.screen.frame_texts)  # type: ignore[union-attr]


def test_a_run_keeps_its_report_summary(store: Store) -> None:
    store.remember_source("sha256:aa", "room.mp4", 10)
    store.remember_run("r1", {"stages": {"speech": "k1"}})
    store.remember_run("r2", {"stages": {"speech": "k2"}})
    assert store.latest_run("sha256:aa") is None
    store.record_findings("sha256:aa", "r1", [], {}, {"warnings": ["旧"], "duration": 1.5})
    store.record_findings("sha256:aa", "r2", [], {}, {"warnings": ["新 <b>"], "duration": 2.25})
    store.remember_run("r3", {"stages": {"speech": "k3"}})
    store.mark_failed("sha256:aa", "r3", "broken")  # a failed run leaves the findings, and the report, of r2
    latest = store.latest_run("sha256:aa")
    assert latest is not None and latest.key == "r2" and latest.settings == {"stages": {"speech": "k2"}}
    assert latest.summary == {"warnings": ["新 <b>"], "duration": 2.25}
    assert len(store.referenced_blobs()) == 2  # both runs' summaries


def test_parts_written_elsewhere_are_copied_into_the_store_with_their_stage(store: Store, tmp_path: Path) -> None:
    from monitor.pipeline.stored import SourceKeys, save_stages

    whole, view = _written(BlobStore(tmp_path / "elsewhere"))
    store.remember_source("sha256:aa", "room.mp4", 10)
    keys = SourceKeys("sha256:aa", 10, {"screen": "k1", "speech": "k2"}, "run", {})
    saved, _ = save_stages(store, keys, ("screen", "speech"), view, {})
    assert all(store.blobs.path(d).exists() for d in view.parts.blobs())
    loaded = store.load_stage("sha256:aa", "speech", "k2")
    assert loaded is not None and list(loaded.view(store.blobs).transcript()) == list(whole.speech.transcript)  # type: ignore[union-attr]
    assert saved["screen"].blobs is store.blobs and saved["screen"].parts.transcript.items == 0


def test_a_report_is_read_from_the_store_and_a_damaged_summary_is_one_clear_error(store: Store) -> None:
    from monitor.errors import LivemonError
    from monitor.pipeline.stored_report import find_source, stored_report

    _, view = _written(store.blobs)
    store.remember_source("sha256:aa", "room.mp4", 10)
    speech = view.stage("speech")
    store.save_stage("sha256:aa", "speech", "k1", speech.head, {}, speech.parts)
    store.remember_run("r1", {"stages": {"speech": "k1"}})
    summary = {"duration": 46.0, "warnings": ["<b>"], "provenance": {"rules": "x"}, "digital_human": None,
               "room": {"title": "直播间", "host_type": "human"}}
    store.record_findings("sha256:aa", "r1", [], {}, summary)
    assert find_source(store, "room.mp4") == "sha256:aa" == find_source(store, "sha256:aa")
    data = stored_report(store, "sha256:aa")
    assert data.warnings == ["<b>"] and data.room is not None and data.room.title == "直播间"
    assert [s.text for s in data.transcript][:2] == ["第0句", "第1句"]
    store.record_findings("sha256:aa", "r1", [], {}, {**summary, "room": {"host_type": "robot"}})
    with pytest.raises(LivemonError, match="cannot be read"):
        stored_report(store, "sha256:aa")
    with pytest.raises(LivemonError, match="holds no record"):
        find_source(store, "other.mp4")
