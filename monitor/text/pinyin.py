"""Toneless, accent-tolerant pinyin for matching words on sound.

Speech recognisers write homophones (全网 → 全往, 降血压 → 将薛鸭). Comparing
*loose* syllables (zh/z, ch/c, sh/s, l/n, -ng/-n merged; the buzzed vowel of
zhi/chi/shi/ri/zi/ci/si merged with -e) finds such words again. Latin runs that
spell pinyin (``zuidijia``) are split into syllables too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import lazy_pinyin
from pypinyin.pinyin_dict import pinyin_dict

__all__ = ["PinyinSequence", "char_syllable", "loose", "pinyin_sequence", "word_syllables"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN_RUN = re.compile(r"[a-z]+(?: [a-z]+)*")
_APICAL = {"zi", "ci", "si", "zhi", "chi", "shi", "ri"}
_MAX_LATIN_RUN = 40


@dataclass(frozen=True, slots=True)
class PinyinSequence:
    """Loose syllables of a text; ``""`` marks a break (digit, punctuation, foreign word)."""

    syllables: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    """Character span in the text for each syllable."""


@lru_cache(maxsize=4096)
def loose(syllable: str) -> str:
    """Fold a toneless syllable to its accent-tolerant form (``zhi`` → ``ze``)."""
    s = syllable.replace("ü", "v")
    if s in _APICAL:
        s = s[:-1] + "e"
    for hard, soft in (("zh", "z"), ("ch", "c"), ("sh", "s")):
        if s.startswith(hard):
            s = soft + s[len(hard) :]
            break
    if s.startswith("l"):
        s = "n" + s[1:]
    if s.endswith("ng"):
        s = s[:-1]
    return s


def _toneless(reading: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c))
    return plain.replace("ü", "v")


@lru_cache(maxsize=1)
def _all_syllables() -> frozenset[str]:
    return frozenset(_toneless(r) for readings in pinyin_dict.values() for r in readings.split(","))


@lru_cache(maxsize=65536)
def char_syllable(ch: str) -> str:
    """Loose syllable of a character's most common reading; ``""`` if it has none."""
    readings = pinyin_dict.get(ord(ch))
    return loose(_toneless(readings.split(",", 1)[0])) if readings else ""


@lru_cache(maxsize=4096)
def split_latin(word: str) -> tuple[str, ...] | None:
    """Split a Latin run into pinyin syllables (fewest syllables), or None."""
    if len(word) > _MAX_LATIN_RUN:
        return None
    valid = _all_syllables()
    best: list[tuple[str, ...] | None] = [None] * (len(word) + 1)
    best[0] = ()
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 6), end):
            prev = best[start]
            piece = word[start:end]
            if prev is not None and piece in valid:
                cand = (*prev, piece)
                if best[end] is None or len(cand) < len(best[end] or ()):
                    best[end] = cand
    return best[len(word)]


@lru_cache(maxsize=4096)
def word_syllables(word: str) -> frozenset[tuple[str, ...]]:
    """Loose syllables of a keyword: as a phrase (长高 → chang gao) and char by char (zhang gao).

    Text is read char by char (fast), so a keyword is indexed under both readings.
    """
    return frozenset({tuple(loose(s) for s in lazy_pinyin(word)), tuple(char_syllable(c) for c in word)})


def pinyin_sequence(text: str) -> PinyinSequence:
    """Loose syllables of every Chinese character and pinyin-spelt Latin run in ``text``."""
    syllables: list[str] = []
    spans: list[tuple[int, int]] = []
    latin = {m.start(): m for m in _LATIN_RUN.finditer(text)}
    i = 0
    while i < len(text):
        m = latin.get(i)
        if m is not None:
            for word_start, word in _words(m):
                pieces = split_latin(word)
                if pieces is None:
                    syllables.append("")
                    spans.append((word_start, word_start + len(word)))
                    continue
                pos = word_start
                for piece in pieces:
                    syllables.append(loose(piece))
                    spans.append((pos, pos + len(piece)))
                    pos += len(piece)
            i = m.end()
            continue
        syllables.append(char_syllable(text[i]) if _CJK.match(text[i]) else "")
        spans.append((i, i + 1))
        i += 1
    return PinyinSequence(tuple(syllables), tuple(spans))


def _words(m: re.Match[str]) -> list[tuple[int, str]]:
    out = []
    pos = m.start()
    for word in m.group(0).split(" "):
        out.append((pos, word))
        pos += len(word) + 1
    return out
