"""Keywords found on sound alone: 全往最低价 for 全网最低价, 将薛鸭 for 降血压.

Guardrails against false alarms:

* a keyword needs three syllables or more, or a ``pinyin_context`` on its rule;
* an exact spelling is left to the ordinary match;
* a sound-alike must start and end on word boundaries of jieba's dictionary
  segmentation: 国家机关 is not 国家级, 微信好友 is not 微信号.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from monitor.detectors.claims.rules import CompiledRule
from monitor.text import PinyinSequence, word_syllables

__all__ = ["SoundalikeIndex"]

_CJK_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_MIN_SYLLABLES = 3


@dataclass(frozen=True, slots=True)
class _Entry:
    rule: CompiledRule
    keyword: str


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.dt.check_initialized()
    return jieba.dt


def _word_boundaries(text: str) -> frozenset[int]:
    """Offsets where a dictionary word starts or ends (no HMM guessing of new words)."""
    return frozenset(start for _, start, _ in _tokenizer().tokenize(text, HMM=False)) | {len(text)}


class SoundalikeIndex:
    """All pinyin-enabled keywords, indexed by their loose syllables."""

    __slots__ = ("_first", "_index", "_lengths")

    def __init__(self, rules: Iterable[CompiledRule]) -> None:
        self._index: dict[tuple[str, ...], list[_Entry]] = {}
        for rule in rules:
            for keyword in rule.pinyin_keywords:
                if not _CJK_WORD.fullmatch(keyword):
                    continue
                for key in word_syllables(keyword):
                    if "" in key:
                        continue
                    if len(key) >= _MIN_SYLLABLES or (len(key) >= 2 and rule.pinyin_context is not None):
                        self._index.setdefault(key, []).append(_Entry(rule, keyword))
        self._lengths = sorted({len(k) for k in self._index}, reverse=True)
        self._first = {k[0] for k in self._index}

    def __bool__(self) -> bool:
        return bool(self._index)

    def find(self, text: str, seq: PinyinSequence) -> Iterator[tuple[int, int, CompiledRule, str, bool]]:
        """``(start, end, rule, keyword, short)`` for each sound-alike in ``text`` (normalised).

        ``short`` marks a keyword under three syllables, which needs its rule's ``pinyin_context``.
        """
        syllables = seq.syllables
        n = len(syllables)
        boundaries: frozenset[int] | None = None
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
                if _CJK_WORD.fullmatch(written):
                    boundaries = boundaries if boundaries is not None else _word_boundaries(text)
                    if start not in boundaries or end not in boundaries:
                        continue
                for entry in entries:
                    if written != entry.keyword:
                        yield start, end, entry.rule, entry.keyword, length < _MIN_SYLLABLES
