"""Keywords found on sound alone: 全往最低价 for 全网最低价, 将薛鸭 for 降血压.

Guardrails against false alarms:

* a keyword needs three syllables or more, or a ``pinyin_context`` on its rule;
* an exact spelling is left to the ordinary match;
* a sound-alike that is part of a longer dictionary word (国家机关 for 国家级)
  is not a hit (jieba's dictionary decides what a word is).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from monitor.detectors.claims.rules import CompiledRule
from monitor.text import PinyinSequence, word_syllables

__all__ = ["SoundalikeIndex"]

_CJK_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_MIN_SYLLABLES = 3
_WORD_REACH = 2


@dataclass(frozen=True, slots=True)
class _Entry:
    rule: CompiledRule
    keyword: str


@lru_cache(maxsize=1)
def _dictionary() -> dict[str, int]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.dt.check_initialized()
    return jieba.dt.FREQ


def _inside_longer_word(text: str, start: int, end: int) -> bool:
    freq = _dictionary()
    for left in range(_WORD_REACH + 1):
        for right in range(_WORD_REACH + 1):
            if (left or right) and start - left >= 0 and end + right <= len(text):
                if freq.get(text[start - left : end + right], 0) > 0:
                    return True
    return False


class SoundalikeIndex:
    """All pinyin-enabled keywords, indexed by their loose syllables."""

    __slots__ = ("_first", "_index", "_lengths")

    def __init__(self, rules: Iterable[CompiledRule]) -> None:
        self._index: dict[tuple[str, ...], list[_Entry]] = {}
        for rule in rules:
            for keyword in rule.pinyin_keywords:
                if not _CJK_WORD.fullmatch(keyword):
                    continue
                key = word_syllables(keyword)
                if len(key) >= _MIN_SYLLABLES or (len(key) >= 2 and rule.pinyin_context is not None):
                    self._index.setdefault(key, []).append(_Entry(rule, keyword))
        self._lengths = sorted({len(k) for k in self._index}, reverse=True)
        self._first = {k[0] for k in self._index}

    def __bool__(self) -> bool:
        return bool(self._index)

    def find(self, text: str, seq: PinyinSequence) -> Iterator[tuple[int, int, CompiledRule, str]]:
        """``(start, end, rule, keyword)`` for each sound-alike in ``text`` (normalised)."""
        syllables = seq.syllables
        n = len(syllables)
        for i in range(n):
            if syllables[i] not in self._first:
                continue
            for length in self._lengths:
                if i + length > n:
                    continue
                entries = self._index.get(syllables[i : i + length])
                if not entries:
                    continue
                start, end = seq.spans[i][0], seq.spans[i + length - 1][1]
                written = text[start:end]
                if _CJK_WORD.fullmatch(written) and _inside_longer_word(text, start, end):
                    continue
                for entry in entries:
                    if written != entry.keyword:
                        yield start, end, entry.rule, entry.keyword
