"""`watch` runs the digital-human checks while the rooms play: the same findings and judgement as `scan` on the
same recordings played with --realtime, a label gap told within 10 s of passing dh_gap, the face size and framing
in the live table."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from rich.console import Console

from benchmarks.digital_human.generate import clip_path
from benchmarks.digital_human.scenario import Scenario
from monitor.config import ScanOptions
from monitor.demo.mux import write_media
from monitor.demo.paths import font_path
from monitor.detectors.digital_human import RoomMeta
from monitor.findings import Finding
from monitor.pipeline.engines import Engines
from monitor.pipeline.scan import scan
from monitor.pipeline.watch import WatchOptions, watch
from monitor.results import RoomState
from monitor.sinks.console import rooms_table

SCENARIOS = [("avatar", "no_label"), ("avatar", "metadata_only"), ("avatar", "intermittent"),
             ("avatar", "continuous"), ("human", "no_label")]
LABEL_UNTIL, GAP_CLIP_S = 3.0, 24.0
"""The gap room shows its AI label for its first 3 s, then never again, for 24 s."""
DH_GAP = 5.0


def _gap_room(path: Path) -> Path:
    """A 24 s, 320x240, 5 fps room whose label '数字人直播' is on screen for the first 3 s only (no face, no sound)."""
    font = ImageFont.truetype(str(font_path()), 20)

    def frame_at(i: int) -> np.ndarray:
        image = Image.new("RGB", (320, 240), (90, 110, 140))
        if i / 5 < LABEL_UNTIL:
            draw = ImageDraw.Draw(image)
            draw.rectangle((4, 4, 122, 32), fill=(0, 0, 0))
            draw.text((9, 6), "数字人直播", font=font, fill=(255, 255, 255))
        return np.asarray(image)

    write_media(path, duration=GAP_CLIP_S, audio=None, sample_rate=16_000, frame_at=frame_at, fps=5)
    return path


def _dh(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.category.startswith("dh_")]


@pytest.fixture(scope="module")
def played(
    engines: Engines, options: ScanOptions, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[str], list[RoomState], list[tuple[Finding, float]], ScanOptions]:
    """The scenario clips, the gap room and a human-looking host the platform registered as digital (the last
    room), watched at once as live rooms; each finding with the stream seconds its room had read when the finding
    reached the sink."""
    folder = tmp_path_factory.mktemp("dh-watch")
    clips = [str(clip_path(Scenario(host, condition, 0))) for host, condition in SCENARIOS]  # type: ignore[arg-type]
    clips.append(str(_gap_room(folder / "gap.mp4")))
    clips.append(str(shutil.copy(clip_path(Scenario("human", "no_label", 0)), folder / "registered.mp4")))
    live_options = options.model_copy(update={"speech": False, "dh_gap": DH_GAP})
    found: list[tuple[Finding, float]] = []
    states: list[RoomState] = []

    def sink(finding: Finding, snapshot: bytes | None) -> None:
        read = next((s.stream_seconds for s in states if s.spec == finding.stream), 0.0)
        found.append((finding, read))

    def tick(rooms: list[RoomState]) -> None:
        states[:] = rooms

    registered = {clips[-1]: RoomMeta(host_type="digital_human")}
    states[:] = watch(clips, live_options, engines, sink, WatchOptions(realtime=True), on_tick=tick,
                      room_meta=registered)
    return clips, states, found, live_options


def test_watch_gives_the_digital_human_findings_scan_gives(
    played: tuple[list[str], list[RoomState], list[tuple[Finding, float]], ScanOptions], engines: Engines
) -> None:
    clips, states, found, options = played
    for clip, state in zip(clips[: len(SCENARIOS)], states, strict=False):
        scanned = scan(clip, options, engines)
        watched = _dh([f for f, _ in found if f.stream == clip])
        assert [(f.category, f.rule, f.risk, f.source, f.start) for f in watched] == [
            (f.category, f.rule, f.risk, f.source, f.start) for f in _dh(scanned.findings)], clip
        for w, s in zip(watched, _dh(scanned.findings), strict=True):
            assert w.start < w.end <= s.end + 0.5  # a gap still open is told when found: it ends then
            assert w.wall_time is not None and "text" in w.evidence.signals["face_view"]
            if w.source == "video":  # a finding that rests on the face names the framing and face size it saw
                assert w.evidence.signals["face_view"] == s.evidence.signals["face_view"]
        assert scanned.digital_human is not None and state.digital_human is not None
        assert state.digital_human.likelihood == pytest.approx(scanned.digital_human.likelihood)
        assert state.digital_human.view == scanned.digital_human.view
        assert [x.name for x in state.digital_human.signals] == [x.name for x in scanned.digital_human.signals]


def test_a_label_gap_is_told_within_10s_of_passing_dh_gap(
    played: tuple[list[str], list[RoomState], list[tuple[Finding, float]], ScanOptions],
) -> None:
    clips, states, found, _ = played
    told = [(f, read) for f, read in found if f.stream == clips[len(SCENARIOS)]]
    assert [(f.category, f.rule, f.start) for f, _ in told] == [("dh_label_intermittent", "label_gaps", LABEL_UNTIL)]
    finding, read = told[0]
    exceeded = finding.evidence.signals["live"]["exceeded_at"]
    assert exceeded == pytest.approx(LABEL_UNTIL + DH_GAP) and finding.evidence.signals["live"]["still_missing"]
    assert read - exceeded < 10.0 and read < GAP_CLIP_S - 1  # told while the room played on, not at its end
    lags = states[len(SCENARIOS)].timings["digital_human"]
    assert [lag for _, lag in lags] == [pytest.approx(read - exceeded, abs=1.0)]


def test_room_data_declaring_a_digital_host_blocks_an_unlabelled_room_as_scan_does(
    played: tuple[list[str], list[RoomState], list[tuple[Finding, float]], ScanOptions], engines: Engines,
    tmp_path: Path,
) -> None:
    clips, _, found, options = played
    told = [(f, read) for f, read in found if f.stream == clips[-1]]
    assert [(f.category, f.rule, f.risk, f.source, f.start) for f, _ in told] == [
        ("dh_undisclosed", "declared_without_label", "block", "room", 0.0)]
    assert told[0][1] - told[0][0].evidence.signals["live"]["exceeded_at"] < 10.0
    meta = tmp_path / "room.json"
    meta.write_text('{"host_type": "digital_human"}', encoding="utf-8")
    scanned = scan(clips[-1], options.model_copy(update={"room_meta": meta}), engines)
    assert [(f.category, f.rule, f.risk, f.source, f.start) for f in _dh(scanned.findings)] == [
        (f.category, f.rule, f.risk, f.source, f.start) for f, _ in told]


def test_the_live_table_names_the_framing_and_face_size_it_judged_on(
    played: tuple[list[str], list[RoomState], list[tuple[Finding, float]], ScanOptions],
) -> None:
    _, states, _, _ = played
    console = Console(width=400, record=True)
    console.print(rooms_table(states))
    text = console.export_text()
    assert "数字人 digital human" in text and "已判断 judged" in text
    assert "画面 横屏 landscape 320x240 · 人脸高 face" in text
