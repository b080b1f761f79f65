"""The detector end to end on synthetic observations: judgement, fusion and findings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from monitor.detectors.digital_human import (
    DigitalHumanOptions,
    QualityOptions,
    RoomMeta,
    Signal,
    detect_digital_human,
    fuse,
    judge_track,
)
from monitor.media.types import MediaInfo
from monitor.observations.types import FrameText, TextBox, TranscriptSegment


def looped(t: np.ndarray) -> np.ndarray:
    w = 2 * np.pi * (t % 2.5) / 2.5
    return np.stack([8 * np.sin(w), 4 * np.cos(w), 2 * np.sin(w)], axis=1)


def human(t: np.ndarray) -> np.ndarray:
    return np.cumsum(np.random.default_rng(3).normal(0, 1.5, (len(t), 3)), axis=0)


def avatar_track(make_track):
    return make_track(motion=looped, loop_hash=True, blinks=(1.0, 4.0, 7.0, 10.0))


def human_track(make_track):
    return make_track(motion=human, loop_hash=True, jitter=2.0, blinks=(0.5, 1.4, 4.9, 6.0, 10.5))


def texts(pattern: str) -> list[FrameText]:
    """One frame per second for 12 s; 'L' shows the label, '.' does not."""
    label = TextBox("数字人直播", (4, 4, 118, 30), 0.9)
    return [FrameText(float(i), i, (label,) if c == "L" else (), 320, 240) for i, c in enumerate(pattern)]


INFO = MediaInfo("x.mp4", 12.0, True, True, 320, 240, 12.0)
TAGGED = MediaInfo("x.mp4", 12.0, True, True, 320, 240, 12.0, metadata={"AIGC": json.dumps({"Label": "1"})})
SNAPSHOTS = [(0.0, "s0.jpg"), (6.0, "s6.jpg"), (12.0, "s12.jpg")]


@pytest.mark.parametrize(
    ("host", "screen", "info", "transcript", "room", "expected"),
    [
        ("avatar", "." * 12, INFO, (), None, ("dh_undisclosed", "review", "likely_ai_no_label")),
        ("human", "." * 12, INFO, (), None, None),
        ("avatar", "L" * 12, INFO, (), None, None),
        ("avatar", "LLLL......LL", INFO, (), None, ("dh_label_intermittent", "review", "label_gaps")),
        ("human", "." * 12, TAGGED, (), None, ("dh_undisclosed", "block", "declared_without_label")),
        ("human", "." * 12, INFO, (TranscriptSegment(1, 3, "以下由数字人为您讲解"),), None,
         ("dh_undisclosed", "block", "declared_without_label")),
        ("human", "." * 12, INFO, (), RoomMeta(host_type="digital_human"),
         ("dh_undisclosed", "block", "declared_without_label")),
        ("human", "." * 12, INFO, (), RoomMeta(host_type="human"), None),
    ],
)
def test_findings(make_track, host, screen, info, transcript, room, expected):
    track = avatar_track(make_track) if host == "avatar" else human_track(make_track)
    result = detect_digital_human(track, texts(screen), transcript, info, room, snapshots=SNAPSHOTS, stream="room-1")
    assert result.judgement.judged
    found = [(f.category, f.risk, f.rule) for f in result.findings]
    assert found == ([expected] if expected else [])
    for f in result.findings:
        assert f.evidence.snapshot in {"s0.jpg", "s6.jpg", "s12.jpg"}
        assert "signals" in f.evidence.signals and f.stream == "room-1"


def test_intermittent_finding_lists_gap_times(make_track):
    result = detect_digital_human(avatar_track(make_track), texts("LLLL......LL"), (), INFO)
    (finding,) = result.findings
    assert (finding.start, finding.end) == (4.0, 10.0)
    assert finding.evidence.signals["label"]["gaps"] == ((4.0, 10.0),)


def test_likelihood_alone_never_blocks(make_track):
    result = detect_digital_human(avatar_track(make_track), (), (), INFO, options=DigitalHumanOptions(threshold=0.01))
    assert [f.risk for f in result.findings] == ["review"]


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"brightness": 10.0}, "too dark"),
        ({"face_every": 100}, "leaves the frame"),
        ({"n_faces": 3}, "several faces"),
        ({"face_px": 20.0}, "too small"),
        ({"seconds": 3.0}, "need 6 s"),
    ],
)
def test_bad_input_is_not_judged(make_track, kwargs, reason):
    track = make_track(motion=looped, loop_hash=True, blinks=(1.0, 4.0, 7.0, 10.0), **kwargs)
    result = detect_digital_human(track, texts("." * 12), (), INFO)
    assert result.judgement.status == "not_judged" and reason in result.judgement.reason
    assert result.likelihood is None and result.findings == ()


def test_not_judged_face_still_reports_a_declared_unlabelled_stream(make_track):
    result = detect_digital_human(make_track(brightness=5.0), texts("." * 12), (), TAGGED)
    assert result.judgement.status == "not_judged"
    assert [(f.category, f.risk, f.source) for f in result.findings] == [("dh_undisclosed", "block", "metadata")]


def test_empty_track_is_not_judged():
    from monitor.observations.faces import FaceTrack

    assert judge_track(FaceTrack.empty(), QualityOptions()).reason == "no video frames were analysed for faces"


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ({"loop": 1.0, "blink": 1.0}, pytest.approx(1 / (1 + np.exp(-3.5)))),
        ({"loop": 0.5, "blink": 0.5}, pytest.approx(0.5)),
        ({"loop": 0.0, "blink": 0.0, "voice": 1.0}, pytest.approx(1 / (1 + np.exp(3.0)))),
        ({"loop": 1.0, "voice": 1.0}, None),  # one face signal is not enough
    ],
)
def test_fusion(scores, expected):
    fusion = fuse([Signal(n, s) for n, s in scores.items()] + [Signal.not_judged("pose_jitter", "n/a")])
    assert fusion.likelihood == expected


def test_signal_score_must_be_a_probability():
    with pytest.raises(ValueError, match="within"):
        Signal("loop", 1.5)
