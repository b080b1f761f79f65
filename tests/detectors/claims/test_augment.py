"""Simulated ASR noise for the claims classifier's training text."""

from __future__ import annotations

import random

from models.claims_classifier.augment import asr_noise
from monitor.text.pinyin import char_syllable


def test_noise_swaps_characters_for_sound_alikes_only() -> None:
    text = "家人们这款降血压的茶全网最低价，专柜价一千二今天只要一百九十九"
    rng = random.Random(0)
    noisy = [asr_noise(text, rng, rate=0.3) for _ in range(20)]
    assert any(n != text for n in noisy)
    for n in noisy:
        assert len(n) == len(text)
        assert all(a == b or char_syllable(a) == char_syllable(b) for a, b in zip(text, n, strict=True))


def test_noise_is_reproducible_and_leaves_other_text_alone() -> None:
    assert asr_noise("降血压", random.Random(1), 1.0) == asr_noise("降血压", random.Random(1), 1.0)
    assert asr_noise("abc 123，！🙂", random.Random(0), 1.0) == "abc 123，！🙂"
    assert asr_noise("降血压", random.Random(0), 0.0) == "降血压"
