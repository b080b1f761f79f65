"""The live digital-human checks (``watch``): told as soon as they can be, the same judgement as ``scan``, bounded."""

from __future__ import annotations

import json

import pytest

from monitor.detectors.digital_human import (
    DigitalHumanOptions,
    LabelTracker,
    LiveDigitalHuman,
    RoomMeta,
    detect_digital_human,
)
from monitor.findings import Finding
from monitor.media.types import MediaInfo
from monitor.observations.types import FrameText, TextBox, TranscriptSegment
from tests.detectors.digital_human.test_dh_detect import avatar_track, human_track

LABEL = TextBox("数字人直播", (4, 4, 118, 30), 0.9)
SMALL = TextBox("AI生成", (290, 230, 318, 235), 0.9)
INFO = MediaInfo("x.mp4", None, True, True, 320, 240, 12.0)
TAGGED = MediaInfo("x.mp4", None, True, True, 320, 240, 12.0, metadata={"AIGC": json.dumps({"Label": "1"})})


def frame(t: float, shown: bool, box: TextBox = LABEL) -> FrameText:
    return FrameText(t, int(t), (box,) if shown else (), 320, 240)


def feed(live: LiveDigitalHuman, pattern: str, start: float = 0.0) -> list[tuple[float, Finding]]:
    """One frame a second from ``start``: 'L' shows the label, '.' not; each finding with the frame that made it."""
    found = []
    for i, c in enumerate(pattern):
        t = start + i
        found += [(t, f) for f in live.screen(frame(t, c == "L"))]
    return found


def test_a_gap_is_told_at_the_first_frame_past_dh_gap_and_only_once() -> None:
    live = LiveDigitalHuman(DigitalHumanOptions(max_gap=5.0))
    found = feed(live, "LLLL" + "." * 30)
    assert [(t, f.category, f.rule, f.start, f.end) for t, f in found] == [
        (10.0, "dh_label_intermittent", "label_gaps", 4.0, 10.0)]
    signals = found[0][1].evidence.signals
    assert signals["live"] == {"exceeded_at": 9.0, "found_at": 10.0, "still_missing": True}
    assert live.finish() == []  # the same gap is not told again at the end


def test_a_closed_gap_is_the_finding_scan_makes(make_track) -> None:
    pattern = "LLLL......LL"
    live = LiveDigitalHuman(DigitalHumanOptions(max_gap=5.0))
    told = [f for _, f in feed(live, pattern)] + live.finish()
    texts = [frame(float(i), c == "L") for i, c in enumerate(pattern)]
    scanned = detect_digital_human(avatar_track(make_track), texts, (), MediaInfo("x.mp4", 12.0, True, True, 320, 240))
    assert [(f.category, f.risk, f.rule, f.start, f.end) for f in told] == [
        (f.category, f.risk, f.rule, f.start, f.end) for f in scanned.findings]


@pytest.mark.parametrize(
    ("info", "room", "speech", "source"),
    [
        (TAGGED, None, None, "metadata"),
        (INFO, RoomMeta(host_type="digital_human"), None, "room"),
        (INFO, None, 3.0, "speech"),
    ],
)
def test_a_declared_host_without_a_label_is_blocked_within_the_gap(info, room, speech, source) -> None:
    live = LiveDigitalHuman(DigitalHumanOptions(max_gap=5.0), room=room)
    found = live.connected(info)
    for i in range(20):
        t = float(i)
        if speech is not None and t == speech:
            found += live.speech([TranscriptSegment(2.0, 3.0, "以下由数字人为您讲解")])
        found += live.screen(frame(t, False))
        if found:
            break
    (f,) = found
    assert (f.category, f.risk, f.rule, f.source, f.start, f.end) == (
        "dh_undisclosed", "block", "declared_without_label", source, 0.0, 6.0)
    assert feed(live, "." * 10, start=20.0) == [] and live.finish() == []


def test_a_spoken_disclosure_after_the_gap_is_told_at_once() -> None:
    live = LiveDigitalHuman(DigitalHumanOptions(max_gap=5.0))
    assert feed(live, "." * 30) == []  # nobody said it is AI, no label ever: nothing yet
    (f,) = live.speech([TranscriptSegment(30.0, 32.0, "本直播由人工智能生成")])
    assert (f.rule, f.source, f.start, f.end) == ("declared_without_label", "speech", 0.0, 29.0)


def test_a_likely_ai_window_waits_until_ocr_has_read_past_it(make_track) -> None:
    live = LiveDigitalHuman()
    feed(live, "." * 6)
    assert live.window(avatar_track(make_track), start=0.0, end=12.0) == []  # OCR is at 5 s: a label may come
    found = feed(live, "." * 8, start=6.0)
    assert [(t, f.rule, f.source, f.risk, f.start, f.end) for t, f in found] == [
        (12.0, "likely_ai_no_label", "video", "review", 0.0, 12.0)]
    signals = found[0][1].evidence.signals
    assert signals["face_window"] == [0.0, 12.0] and signals["face_view"]["framing"] == "landscape"
    assert live.current().judgement.judged and live.current().ai_likely


def test_no_likelihood_finding_for_a_human_or_a_labelled_window(make_track) -> None:
    human = LiveDigitalHuman()
    human.window(human_track(make_track), start=0.0, end=12.0)
    labelled = LiveDigitalHuman()
    labelled.window(avatar_track(make_track), start=0.0, end=12.0)
    assert feed(human, "." * 14) == [] and human.finish() == []
    assert feed(labelled, "L" * 14) == [] and labelled.finish() == []


def test_without_ocr_a_window_is_judged_at_once(make_track) -> None:
    live = LiveDigitalHuman(screen=False)
    assert [f.rule for f in live.window(avatar_track(make_track), start=0.0, end=12.0)] == ["likely_ai_no_label"]


def test_a_lost_connection_is_no_label_gap() -> None:
    live = LiveDigitalHuman(DigitalHumanOptions(max_gap=5.0))
    assert feed(live, "L" * 10) == []
    assert live.lost() == []
    assert feed(live, "L" * 10, start=60.0) == []  # 50 s without frames, the label on both sides
    assert live.current().label.coverage == pytest.approx(1.0)
    live.lost()
    found = feed(live, "..." + "L" * 57, start=200.0)  # back without the label for 3 s: not a gap
    assert found == [] and live.finish() == []  # and 77 of 80 s with the label is above min_coverage


def test_short_gaps_and_a_small_label_are_judged_per_period() -> None:
    flicker = LiveDigitalHuman(DigitalHumanOptions(max_gap=5.0), review_every=60.0)
    found = feed(flicker, "LLL..." * 12)
    assert [(f.rule, f.start, f.end) for _, f in found] == [("label_gaps", 0.0, 60.0)]
    small = LiveDigitalHuman(review_every=60.0)
    told = [f for t in range(130) for f in small.screen(frame(float(t), True, SMALL))] + small.finish()
    assert [(f.category, f.rule, f.start) for f in told] == [("dh_undisclosed", "label_not_prominent", 0.0)]


def test_a_room_that_runs_for_days_keeps_bounded_state() -> None:
    tracker = LabelTracker(2.0, keep=50)
    for i in range(20_000):  # 10 s on, 3 s off: a gap every 13 s
        tracker.add(frame(float(i), i % 13 < 10))
    label = tracker.coverage()
    assert len(label.gaps) == 50 and label.samples == 20_000
    assert label.coverage == pytest.approx(10 / 13, abs=0.01)
