"""Disclosure channels: label wording, on-screen coverage and gaps, speech, metadata, room file."""

from __future__ import annotations

import json

import pytest

from monitor.detectors.digital_human import (
    is_label_text,
    load_room_meta,
    metadata_label,
    screen_label,
    spoken_disclosures,
)
from monitor.errors import ConfigError
from monitor.observations.types import FrameText, TextBox, TranscriptSegment


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("数字人直播", True),
        ("本直播由人工智能生成", True),
        ("AI 生成", True),
        ("Al合成", True),  # OCR reads I as l
        ("ＡＩ", True),  # full-width badge
        ("虚拟主播小美", True),
        ("我不是数字人", False),
        ("AI音箱特价", False),
        ("全场第一", False),
        ("", False),
    ],
)
def test_label_wording(text, expected):
    assert is_label_text(text) is expected


def frames(visible: list[bool], box=(4.0, 4.0, 118.0, 30.0), text="数字人直播") -> list[FrameText]:
    label, other = TextBox(text, box, 0.9), TextBox("限时秒杀", (100, 200, 200, 220), 0.9)
    return [FrameText(float(i), i, (label,) if v else (other,), 320, 240) for i, v in enumerate(visible)]


@pytest.mark.parametrize(
    ("visible", "coverage", "gaps"),
    [
        ([True] * 20, 1.0, ()),
        ([True] * 4 + [False] * 6 + [True] * 4 + [False] * 6, 0.4, ((4.0, 10.0), (14.0, 20.0))),
        ([False] * 7 + [True] * 13, 0.65, ((0.0, 7.0),)),
        ([True] * 8 + [False] * 3 + [True] * 9, 0.85, ()),  # a 3 s gap is within the 5 s limit
        ([False] * 20, 0.0, ((0.0, 20.0),)),
    ],
)
def test_screen_label_coverage_and_gaps(visible, coverage, gaps):
    label = screen_label(frames(visible), 20.0, max_gap=5.0)
    assert label.coverage == pytest.approx(coverage)
    assert label.gaps == gaps


def test_screen_label_position_and_prominence():
    label = screen_label(frames([True] * 5, box=(290.0, 230.0, 318.0, 238.0), text="AI生成"), 5.0, 5.0)
    assert label.position == "bottom-right"
    assert label.height_ratio == pytest.approx(8 / 240)
    assert label.first_seen == 0.0


def test_no_frames_means_no_label():
    assert not screen_label([], 10.0, 5.0).seen


def test_spoken_disclosure():
    segments = [
        TranscriptSegment(0.0, 2.0, "欢迎来到直播间"),
        TranscriptSegment(2.0, 5.0, "以下由数字人为您讲解"),
        TranscriptSegment(5.0, 7.0, "我不是数字人哦"),
    ]
    assert [s.start for s in spoken_disclosures(segments)] == [2.0]


@pytest.mark.parametrize(
    ("metadata", "key"),
    [
        ({"AIGC": json.dumps({"Label": "1", "ContentProducer": "acme"})}, "AIGC"),
        ({"video:aigc": '{"label": 2}'}, "video:aigc"),
        ({"comment": json.dumps({"AIGC": {"Label": "1"}})}, "comment"),
        ({"AI_generated": "true"}, "AI_generated"),
        ({"AIGC": json.dumps({"Label": "0"})}, None),
        ({"AIGC": "{not json"}, None),
        ({"title": "直播", "encoder": "Lavf"}, None),
    ],
)
def test_metadata_label(metadata, key):
    found = metadata_label(metadata)
    assert (found.key if found else None) == key


def test_metadata_label_keeps_producer():
    found = metadata_label({"AIGC": json.dumps({"Label": "1", "ContentProducer": "acme"})})
    assert found is not None and found.producer == "acme"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"title": "x", "host_type": "robot"}', "host_type"),
        ("{oops", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        (None, "not found"),
    ],
)
def test_bad_room_meta(tmp_path, content, message):
    path = tmp_path / "room.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_room_meta(path)


def test_room_meta(tmp_path):
    path = tmp_path / "room.json"
    path.write_text('{"title": "美妆专场", "host_type": "digital_human", "extra": 1}', encoding="utf-8")
    room = load_room_meta(path)
    assert room.declares_ai and room.title == "美妆专场"
