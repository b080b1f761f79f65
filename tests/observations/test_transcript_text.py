"""Whisper's raw lines become the transcript text reviewers read and the claims engine checks."""

from __future__ import annotations

import pytest

from monitor.observations.asr import transcript_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("家人们Ｍ这个是圈王阿架Ｍ三毫练节。", "家人们，这个是圈王阿架，三毫练节。"),
        ("宝宝们�这个价格我一直没变过", "宝宝们，这个价格我一直没变过"),
        ("家里最小的孩子三岁４我就给他买的这个。", "家里最小的孩子三岁，我就给他买的这个。"),
        ("原价599４今天59", "原价599，今天59"),
        ("可以问我Ｇ, 尘马我都可以帮你选", "可以问我, 尘马我都可以帮你选"),
        ("最後一單，錯過再等一年", "最后一单，错过再等一年"),
    ],
)
def test_broken_punctuation_is_repaired_and_script_simplified(raw: str, expected: str) -> None:
    assert transcript_text(raw) == expected


@pytest.mark.parametrize("text", ["型号ＡＢ１２的款", "iPhone１５", "全网最低价，只要59", "今天30%的折扣"])
def test_real_full_width_runs_and_ordinary_text_are_kept(text: str) -> None:
    assert transcript_text(text) == text
