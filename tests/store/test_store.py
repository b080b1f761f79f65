"""The store on SQLite and PostgreSQL: stage records, status, findings superseded (never overwritten), blobs."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import Any

import pytest

from monitor.errors import LivemonError
from monitor.media.types import MediaInfo
from monitor.observations.record import ScreenRecord, SpeechRecord, StreamRecord
from monitor.observations.types import FrameText, TextBox
from monitor.store import Store

RECORD = StreamRecord(
    MediaInfo("room.mp4", 10.0, False, True, 720, 1280, 25.0),
    screen=ScreenRecord(1.0, 1, (FrameText(0.0, 0, (TextBox("全网最低价", (0.0, 0.0, 9.0, 9.0), 0.9),)),),
                        snapshots=((0.0, "frame_0.jpg"),), ocr="rapidocr"),
)


def _finding(finding_id: str, confidence: float = 0.9, provenance: str = "a") -> dict[str, Any]:
    return {"id": finding_id, "start": 1.0, "end": 2.0, "source": "screen", "category": "absolute_terms",
            "confidence": confidence, "evidence": {"snapshot": "frame_0.jpg"}, "provenance": {"rules": provenance}}


def test_a_stage_record_loads_back_with_its_snapshots(store: Store) -> None:
    store.remember_source("sha256:aa", "room.mp4", 10)
    assert store.load_stage("sha256:aa", "screen", "k1") is None
    store.save_stage("sha256:aa", "screen", "k1", RECORD, {"frame_0.jpg": b"\xff\xd8jpeg"})
    store.save_stage("sha256:aa", "screen", "k1", RECORD, {"frame_0.jpg": b"\xff\xd8jpeg"})  # idempotent
    loaded = store.load_stage("sha256:aa", "screen", "k1")
    assert loaded is not None and loaded.record == RECORD
    assert store.blobs.get(loaded.snapshots["frame_0.jpg"]) == b"\xff\xd8jpeg"
    assert store.load_stage("sha256:aa", "screen", "k2") is None
    assert store.stats()["stage_records"] == 1


def test_changed_findings_are_superseded_and_kept(store: Store) -> None:
    store.remember_source("sha256:aa", "room.mp4", 10)
    for run in ("r1", "r2", "r3"):
        store.remember_run(run, {"run": run})
    store.record_findings("sha256:aa", "r1", [_finding("f1"), _finding("f2")], {})
    store.record_findings("sha256:aa", "r2", [_finding("f1", provenance="b"), _finding("f2", 0.5)], {})
    store.record_findings("sha256:aa", "r3", [_finding("f2", 0.5)], {})
    assert [f["id"] for f, _ in store.current_findings("sha256:aa")] == ["f2"]
    assert [(v["run"], v["confidence"]) for v in store.finding_history("f2")] == [("r1", 0.9), ("r2", 0.5)]
    history = store.finding_history("f1")  # new provenance (other rules) is a new version; then it was gone
    assert [v["provenance"]["rules"] for v in history] == ["a", "b"] and all(v["superseded_at"] for v in history)
    assert store.stats()["findings_current"] == 1 and store.stats()["findings_superseded"] == 3
    assert [(s.status, s.findings) for s in store.statuses("r3")] == [("done", 1)]


def test_findings_added_as_found_end_as_if_recorded_at_once(store: Store) -> None:
    """A watch adds its findings one by one; each is current at once, adding one again changes nothing, and when
    the run ends the source's findings and history are what one record_findings of the same findings leaves."""
    store.remember_source("sha256:aa", "room.mp4", 10)
    for run in ("r1", "r2"):
        store.remember_run(run, {"run": run})
    store.record_findings("sha256:aa", "r1", [_finding("f1"), _finding("f2"), _finding("f3")], {})
    snapshot = store.blobs.put(b"\xff\xd8jpeg")
    again = store.add_findings("sha256:aa", "r2", [_finding("f1")], {"frame_0.jpg": snapshot})  # found again
    again |= store.add_findings("sha256:aa", "r2", [_finding("f2", 0.5)], {"frame_0.jpg": snapshot})  # changed
    again |= store.add_findings("sha256:aa", "r2", [_finding("f4")], {"frame_0.jpg": snapshot})
    again |= store.add_findings("sha256:aa", "r2", [_finding("f4")], {"frame_0.jpg": snapshot})  # the same again
    assert again == {"f1"}
    assert store.status("sha256:aa", "r2") == "running"
    assert sorted(f["id"] for f, _ in store.current_findings("sha256:aa")) == ["f1", "f2", "f3", "f4"]
    store.finish_findings("sha256:aa", "r2", again)
    current = {f["id"]: (f["confidence"], blob) for f, blob in store.current_findings("sha256:aa")}
    assert current == {"f1": (0.9, None), "f2": (0.5, snapshot), "f4": (0.9, snapshot)}  # f3 was not found again
    assert [v["run"] for v in store.finding_history("f1")] == ["r1"]  # unchanged: still the first run's
    assert [v["run"] for v in store.finding_history("f4")] == ["r2"]
    assert store.finding_history("f3")[0]["superseded_at"] is not None
    assert [(s.status, s.findings) for s in store.statuses("r2")] == [("done", 3)]


def test_a_failed_source_keeps_its_error(store: Store) -> None:
    store.remember_source("sha256:bb", "bad.mp4", 0)
    store.remember_run("r1", {})
    store.mark_failed("sha256:bb", "r1", "the file is empty (0 bytes): bad.mp4")
    assert store.status("sha256:bb", "r1") == "failed"
    (status,) = store.statuses("r1")
    assert status.error == "the file is empty (0 bytes): bad.mp4" and status.spec == "bad.mp4"


def test_an_altered_blob_is_an_error_naming_it(store: Store) -> None:
    digest = store.blobs.put(b"evidence")
    store.blobs.path(digest).write_bytes(b"tampered")
    with pytest.raises(LivemonError, match=f"blob {digest} was altered"):
        store.blobs.get(digest)
    with pytest.raises(LivemonError, match="not a sha256"):
        store.blobs.get("../../etc/passwd")


def test_gc_removes_only_unreferenced_blobs_older_than_the_retention(store: Store) -> None:
    store.remember_source("sha256:aa", "room.mp4", 10)
    kept = store.save_stage("sha256:aa", "screen", "k1", RECORD, {"frame_0.jpg": b"\xff\xd8jpeg"})
    orphan_old, orphan_new = store.blobs.put(b"old orphan"), store.blobs.put(b"new orphan")
    three_years_ago = time.time() - 4 * 365 * 86400
    for digest in (orphan_old, kept.snapshots["frame_0.jpg"]):
        os.utime(store.blobs.path(digest), (three_years_ago, three_years_ago))
    assert store.gc(timedelta(days=3 * 365), dry_run=True)["removed"] == 1
    counts = store.gc(timedelta(days=3 * 365))
    assert counts["removed"] == 1 and counts["kept_in_retention"] == 1
    assert not store.blobs.path(orphan_old).exists() and store.blobs.path(orphan_new).exists()
    loaded = store.load_stage("sha256:aa", "screen", "k1")  # the old but referenced snapshot stays
    assert loaded is not None and store.blobs.get(loaded.snapshots["frame_0.jpg"]) == b"\xff\xd8jpeg"


def test_the_store_names_the_sources_it_holds_records_of_and_their_newest_stages(store: Store) -> None:
    info = MediaInfo(source="room", duration=1.0, has_audio=True, has_video=False)
    store.remember_source("url:a", "https://cdn.example/a.m3u8", None)
    store.remember_source("sha256:b", "b.mp4", 10)
    store.save_stage("url:a", "speech", "k1", StreamRecord(info=info))
    store.save_stage("url:a", "speech", "k2", StreamRecord(info=info, speech=SpeechRecord(audio_seconds=1.0)))
    assert store.stored_sources() == [("url:a", "https://cdn.example/a.m3u8")]  # b has no record
    assert store.newest_stage_keys("url:a") == {"speech": "k2"}
    assert store.newest_stage_keys("sha256:b") == {}
