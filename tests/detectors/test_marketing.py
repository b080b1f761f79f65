"""Claims in transcripts and on-screen text become findings with stream times (no media, no models)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from monitor.detectors.claims import ClaimEngine, ClaimHit
from monitor.detectors.marketing import CaptionTracker, claim_time, speech_findings
from monitor.detectors.stream import DetectorOptions, StreamDetector
from monitor.observations.types import FrameText, TextBox, TranscriptSegment


@pytest.fixture(scope="module")
def engine() -> ClaimEngine:
    return ClaimEngine.load()


def _frame(t: float, *lines: str) -> FrameText:
    boxes = tuple(TextBox(line, (10.0, 10.0 + 40 * i, 300.0, 45.0 + 40 * i), 0.99) for i, line in enumerate(lines))
    return FrameText(time=t, frame_index=int(t), boxes=boxes, width=640, height=360)


def test_speech_claim_keeps_segment_time_context_and_snapshot(engine: ClaimEngine) -> None:
    segments = [
        TranscriptSegment(10.0, 12.0, "家人们晚上好"),
        TranscriptSegment(12.0, 15.5, "这款面膜是全网最低价", confidence=0.9),
        TranscriptSegment(15.5, 17.0, "三十九块九包邮"),
    ]
    findings = speech_findings(segments, engine, stream="room", snapshots=[(11.0, "a.jpg"), (13.0, "b.jpg")])
    # 全网最低价 is an absolute term and a record-low price (price_fraud): one finding per category, same time
    assert sorted((f.category, f.start, f.end, f.source) for f in findings) == [
        ("absolute_terms", 12.0, 15.5, "speech"), ("price_fraud", 12.0, 15.5, "speech"),
    ]
    f = findings[0]
    assert f.evidence.snapshot == "b.jpg" and "家人们晚上好" in f.evidence.context and f.stream == "room"
    assert segments[1].text[slice(*f.span)] in "全网最低价"  # type: ignore[misc]


def test_claim_in_a_long_segment_is_timed_by_its_position() -> None:
    text = "家人们晚上好欢迎来到直播间今天给大家带来我们家的好茶" + "这款茶是全网最低价"
    segment = TranscriptSegment(0.0, 20.0, text)
    start, end = claim_time(segment, (len(text) - 5, len(text)))
    assert 15.0 < start < end == 20.0
    assert claim_time(TranscriptSegment(3.0, 6.0, text), (0, 2)) == (3.0, 6.0)


def test_caption_on_consecutive_frames_is_one_finding_until_it_leaves(engine: ClaimEngine) -> None:
    frames = [_frame(t, "好物直播间", "全网最低价") for t in (5.0, 6.0, 7.0)]
    frames += [_frame(t, "好物直播间") for t in (8.0, 9.0, 10.0, 11.0)]
    frames += [_frame(12.0, "好物直播间", "全网最低价")]
    detector = StreamDetector(engine, frame_interval=1.0)
    findings = detector.screen_many(frames) + detector.finish()
    assert sorted((f.category, f.start, f.end) for f in findings) == [
        ("absolute_terms", 5.0, 8.0),
        ("absolute_terms", 12.0, 13.0),
        ("price_fraud", 5.0, 8.0),
        ("price_fraud", 12.0, 13.0),
    ]
    assert findings[0].evidence.signals["frames"] == 3


def test_a_banner_that_stays_up_is_reported_live_once(engine: ClaimEngine) -> None:
    tracker = CaptionTracker(frame_interval=1.0, stream="room", report_after_s=30.0)
    out = []
    for t in range(0, 120):
        frame = _frame(float(t), "好物直播间", "全网最低价") if t < 100 else _frame(float(t), "好物直播间")
        hits = engine.check_many([frame.text])[0]
        out.append((t, tracker.add(frame, hits, [(float(t), f"f{t}.jpg")])))
    reported = [(t, f) for t, found in out for f in found]
    assert sorted((t, f.category, f.start, f.evidence.signals["still_on_screen"]) for t, f in reported) == [
        (30, "absolute_terms", 0.0, True), (30, "price_fraud", 0.0, True),
    ]
    assert tracker.finish() == []


def test_a_live_room_fed_utterance_by_utterance_gets_the_findings_of_its_whole_transcript(
    engine: ClaimEngine,
) -> None:
    segments = [
        TranscriptSegment(0.0, 2.0, "家人们晚上好"),
        TranscriptSegment(2.0, 5.0, "这款面膜是全网最低价"),
        TranscriptSegment(5.0, 8.0, "吃了它三天就能治好失眠"),
        TranscriptSegment(8.0, 9.0, "三十九块九包邮"),
    ]
    whole = StreamDetector(engine, frame_interval=1.0).speech(segments)
    live = StreamDetector(engine, frame_interval=1.0)
    heard = [f for s in segments for f in live.speech([s])]
    assert [(f.category, f.start) for f in heard] == [(f.category, f.start) for f in whole]
    assert {f.category for f in heard} >= {"absolute_terms", "medical_claims"}
    assert "家人们晚上好" in heard[0].evidence.context  # the line before, from the previous utterance


def test_findings_under_min_confidence_are_dropped_as_they_are_made(engine: ClaimEngine) -> None:
    segment = [TranscriptSegment(0.0, 3.0, "这款面膜是全网最低价")]
    assert StreamDetector(engine, frame_interval=1.0).speech(segment)
    assert StreamDetector(engine, DetectorOptions(min_confidence=1.01), frame_interval=1.0).speech(segment) == []


@pytest.mark.parametrize(
    "segment_text",
    [
        "第一次来的宝宝点个关注",
        "最后一排的宝宝看得见吗",
        "本产品是食品，不能代替药物",
        "三十九块九包邮，今天下单明天发货",
    ],
)
def test_clean_selling_talk_gives_no_finding(engine: ClaimEngine, segment_text: str) -> None:
    assert speech_findings([TranscriptSegment(0.0, 3.0, segment_text)], engine) == []


def test_one_finding_per_category_per_line(engine: ClaimEngine) -> None:
    text = "最后三单了，只剩两件，抢完就没有了，加我微信，加V信也行"
    findings = speech_findings([TranscriptSegment(0.0, 5.0, text)], engine)
    categories = [f.category for f in findings]
    assert sorted(categories) == sorted(set(categories))
    assert {"fake_scarcity", "traffic_diversion"} <= set(categories)


def test_a_line_the_stream_cut_off_keeps_its_rule_findings_and_drops_the_classifiers_guesses(
    engine: ClaimEngine,
) -> None:
    """A reconnecting room hears a fragment (这款茶是央视推荐… cut to 这款茶是洋石): the classifier's
    reading of a fragment is not reported, a rule match in it still is, and both count on a whole line."""
    guess = ClaimHit("medical_claims", "review", (0, 7), 0.51, "", "classifier:medical_claims", "这款茶是洋石。",
                     {"via": "classifier", "probability": 0.64})
    rule = engine.check_many(["全网最低价"], source="speech")[0]
    assert rule and all(h.details.get("via") != "classifier" for h in rule)
    whole = [TranscriptSegment(10.0, 11.7, "这款茶是洋石。"), TranscriptSegment(11.7, 13.0, "全网最低价")]
    cut = [replace(s, cut_off=True) for s in whole]

    found = speech_findings(whole, engine, hits=[[guess], rule])
    assert {f.rule for f in found} >= {"classifier:medical_claims"}
    assert not any(f.evidence.signals.get("cut_off") for f in found)

    found = speech_findings(cut, engine, hits=[[guess], rule])
    assert found and all(f.text == "全网最低价" for f in found), "the classifier's guess on a fragment is dropped"
    assert {f.category for f in found} == {h.category for h in rule}
    assert all(f.evidence.signals["cut_off"] is True and "断流" in f.evidence.signals["cut_off_note"] for f in found)
