"""Simulated ASR noise for training text: characters swapped for common sound-alikes.

Whisper mishears Mandarin mostly as homophones or near-homophones written with a more
common character (降血压 → 将薛鸭, 全网 → 全往, 国家级 → 国家机). :func:`asr_noise`
replaces a share of the Chinese characters of a sentence with characters of the same
*loose* syllable (:func:`monitor.text.pinyin.char_syllable`: tones dropped, zh/z,
ch/c, sh/s, l/n and -ng/-n merged), drawn in proportion to how often each character
occurs in jieba's dictionary. The classifier is trained on the clean sentences and
one noisy copy of each, so it learns claims by sound as well as by spelling.
"""

from __future__ import annotations

import random
from collections import defaultdict
from functools import lru_cache
from importlib.resources import files

from monitor.text.pinyin import char_syllable

__all__ = ["asr_noise", "soundalike_table"]

_CANDIDATES_PER_SYLLABLE = 12
"""Only the most frequent characters of a syllable stand in: a recogniser writes common ones."""


@lru_cache(maxsize=1)
def soundalike_table() -> dict[str, tuple[tuple[str, ...], tuple[float, ...]]]:
    """Loose syllable → (its most frequent characters, their relative frequencies)."""
    counts: dict[str, float] = defaultdict(float)
    with files("jieba").joinpath("dict.txt").open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split(" ")
            if len(parts) < 2:
                continue
            for ch in parts[0]:
                if "\u4e00" <= ch <= "\u9fff":
                    counts[ch] += float(parts[1])
    by_syllable: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for ch, n in counts.items():
        if syllable := char_syllable(ch):
            by_syllable[syllable].append((n, ch))
    table = {}
    for syllable, chars in by_syllable.items():
        top = sorted(chars, reverse=True)[:_CANDIDATES_PER_SYLLABLE]
        total = sum(n for n, _ in top)
        table[syllable] = (tuple(ch for _, ch in top), tuple(n / total for n, _ in top))
    return table


def asr_noise(text: str, rng: random.Random, rate: float = 0.15) -> str:
    """``text`` with about ``rate`` of its Chinese characters replaced by sound-alikes."""
    table = soundalike_table()
    out = []
    for ch in text:
        entry = table.get(char_syllable(ch)) if "\u4e00" <= ch <= "\u9fff" else None
        if entry is not None and rng.random() < rate:
            chars, weights = entry
            ch = rng.choices(chars, weights)[0]
        out.append(ch)
    return "".join(out)
