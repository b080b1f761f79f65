"""Evidence clips in `watch` (cut from the file, or from the room's ring when it plays as live) and `rescan`."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import av
import pytest

from monitor.config import ScanOptions
from monitor.demo.bad_inputs import BadInputs
from monitor.findings import Finding
from monitor.media.clips import ClipError
from monitor.pipeline import clip_evidence
from monitor.pipeline.engines import Engines
from monitor.pipeline.rescan import rescan
from monitor.pipeline.watch import WatchOptions, watch
from monitor.sources.batch import BatchSource
from monitor.store import Store


def _refuse(*args: Any, **kwargs: Any) -> None:
    raise ClipError("the stream (flv1) cannot be copied into an MP4 clip")


def _shows(path: Path, at: float, clip_start: float) -> bool:
    """Whether a player of the clip has a video frame within a second of stream time ``at``."""
    with av.open(str(path)) as container:
        return any(abs(float(f.time or 0.0) + clip_start - at) < 1.0 for f in container.decode(video=0))


@pytest.mark.parametrize("realtime", [False, True], ids=["from-the-file", "from-the-ring"])
def test_watch_findings_carry_a_clip_of_their_moment(
    bad: BadInputs, engines: Engines, options: ScanOptions, tmp_path: Path, realtime: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if realtime:  # a room played as live keeps its recent packets: the file is not read again
        monkeypatch.setattr(clip_evidence, "cut_file", _refuse)
    found: list[Finding] = []
    rooms = watch([str(bad.video_only)], options, engines, lambda f, snapshot: found.append(f),
                  WatchOptions(realtime=realtime, clips=tmp_path))
    assert not rooms[0].error and found and rooms[0].findings == len(found)
    for f in found:
        assert f.evidence.clip is not None and f.evidence.clip_start is not None
        clip = Path(f.evidence.clip)
        assert clip.parent == tmp_path and clip.stem == hashlib.sha256(clip.read_bytes()).hexdigest()
        assert f.evidence.clip_start <= f.start and _shows(clip, f.start, f.evidence.clip_start)
    assert "clip" in found[0].to_dict()["evidence"]
    assert all(f.provenance["live"] is realtime for f in found)  # the queue ranks a room on air first


def test_watch_without_clips_writes_findings_as_before(
    bad: BadInputs, engines: Engines, options: ScanOptions
) -> None:
    found: list[Finding] = []
    watch([str(bad.video_only)], options, engines, lambda f, snapshot: found.append(f))
    assert found and all(f.evidence.clip is None for f in found)
    assert all("clip" not in f.to_dict()["evidence"] for f in found)


def test_a_room_whose_clips_cannot_be_made_says_so_once_and_its_findings_still_go_out(
    bad: BadInputs, engines: Engines, options: ScanOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(clip_evidence, "cut_file", _refuse)
    found: list[Finding] = []
    with caplog.at_level(logging.WARNING, logger="monitor.pipeline.clip_evidence"):
        rooms = watch([str(bad.video_only), str(bad.video_only)], options, engines,
                      lambda f, snapshot: found.append(f), WatchOptions(clips=tmp_path))
    assert found and all(f.evidence.clip is None for f in found)
    for room in rooms:
        assert [w for w in room.warnings if w.startswith("evidence clips:")] == [
            "evidence clips: the stream (flv1) cannot be copied into an MP4 clip"]
    assert len([r for r in caplog.records if "no evidence clip" in r.getMessage()]) == len(rooms)


def test_rescan_cuts_clips_from_readable_source_files(
    bad: BadInputs, engines: Engines, options: ScanOptions, tmp_path: Path
) -> None:
    written: list[dict[str, Any]] = []
    with Store.open(tmp_path / "store") as store:
        summary = rescan([BatchSource(str(bad.video_only))], options, store,
                         lambda spec, findings: written.extend(r for r, _ in findings),
                         claims=engines.claims, engines=engines, clips=tmp_path / "clips")
        assert [i.status for i in summary.items] == ["done"] and written
        assert all(Path(r["evidence"]["clip"]).parent == tmp_path / "clips" for r in written)
        assert all(r["evidence"]["clip_start"] <= r["start"] for r in written)
        stored = [body for body, _ in store.current_findings(summary.items[0].source_key or "")]
    assert all("clip" not in body["evidence"] for body in stored)  # clips are made for the output, not stored
