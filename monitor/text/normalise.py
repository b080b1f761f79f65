"""One canonical form of live-room text, with a map back to the original.

Steps, in order:

1. per character: filter-dodging variants and emoji (蕞 → 最, ➕ → +), NFKC
   (full-width → half-width), lower case, control and zero-width characters out;
2. Traditional → Simplified (OpenCC ``t2s``);
3. spacing and decoration inside words removed (``最 低 价``, ``加.微.信``),
   other punctuation folded to ``,`` (a clause break); a space stays only
   between two Latin words or two numbers, a ``.``/``:``/``-`` only between digits;
4. evasions undone (V信/薇信/vx/加v → 微信, ``zui di jia`` → 最低价, 10w → 10万);
5. Chinese numerals and spoken prices to digits (九块九 → 9.9, 百分之百 → 100%).

Rule patterns are written against this form.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc

from monitor.text.evasion import CHAR_SUBSTITUTES, undo_evasions
from monitor.text.mapped import MappedText
from monitor.text.numerals import convert_numerals

__all__ = ["NormalisedText", "normalise"]

_BREAK = ","
_GLUE_PUNCT = frozenset(" \t·•*_~|/\\-'\"`^=#@…・.:")
_KEEP_BETWEEN_DIGITS = frozenset(".:-")
_WORD_SYMBOLS = frozenset("%+¥$")
_MULTI_BREAK = re.compile(r",{2,}")


@dataclass(frozen=True, slots=True)
class NormalisedText:
    """The normalised ``text`` of ``original`` and, per character, its original span."""

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Span in ``original`` covered by ``text[start:end]``."""
        return MappedText(self.text, self.starts, self.ends).original_span(start, end)


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=65536)
def _fold(ch: str) -> str:
    if ch in CHAR_SUBSTITUTES:
        return CHAR_SUBSTITUTES[ch]
    if ch in "\n\r\u2028\u2029":
        return "\n"
    category = unicodedata.category(ch)
    if category[0] == "C":
        return " " if ch == "\t" else ""
    if category == "So" or category == "Sk" or category[0] == "M":
        return " "  # emoji and decoration inside words act as spacing
    return unicodedata.normalize("NFKC", ch).lower()


@lru_cache(maxsize=65536)
def _t2s_char(ch: str) -> str:
    return _t2s().convert(ch)


def _kind(ch: str) -> str:
    """``w`` word character, ``g`` glue (spacing, decoration), ``b`` clause break."""
    if ch.isalnum() or ch in _WORD_SYMBOLS:
        return "w"
    if ch in _GLUE_PUNCT or ch.isspace():
        return "g"
    return "b"


def _is_latin(ch: str) -> bool:
    return "a" <= ch <= "z"


def _clean(mapped: MappedText) -> MappedText:
    text = mapped.text
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        kind = _kind(ch)
        if kind == "w":
            chars.append(ch)
            starts.append(mapped.starts[i])
            ends.append(mapped.ends[i])
            i += 1
            continue
        if kind == "b":
            if chars and chars[-1] != _BREAK:
                chars.append(_BREAK)
                starts.append(mapped.starts[i])
                ends.append(mapped.ends[i])
            i += 1
            continue
        j = i
        while j < n and _kind(text[j]) == "g":
            j += 1
        left = chars[-1] if chars else ""
        right = text[j] if j < n else ""
        if left and right and _kind(right) == "w":
            keep = ""
            if left.isdigit() and right.isdigit():
                keep = text[i] if j - i == 1 and text[i] in _KEEP_BETWEEN_DIGITS else " "
            elif _is_latin(left) and _is_latin(right):
                keep = " "
            if keep:
                chars.append(keep)
                starts.append(mapped.starts[i])
                ends.append(mapped.ends[j - 1])
        i = j
    return MappedText("".join(chars), tuple(starts), tuple(ends))


def _to_simplified(mapped: MappedText) -> MappedText:
    if mapped.text.isascii():
        return mapped
    converted = _t2s().convert(mapped.text)
    if converted == mapped.text:
        return mapped
    if len(converted) == len(mapped.text):
        return MappedText(converted, mapped.starts, mapped.ends)
    return mapped.map_chars(_t2s_char)


@lru_cache(maxsize=8192)
def normalise(text: str) -> NormalisedText:
    """Normalise live-room text; see the module docstring for the steps."""
    mapped = MappedText.identity(text).map_chars(_fold)
    mapped = _to_simplified(mapped)
    mapped = _clean(mapped)
    mapped = undo_evasions(mapped)
    mapped = convert_numerals(mapped)
    mapped = mapped.sub(_MULTI_BREAK, lambda m: _BREAK)
    return NormalisedText(text, mapped.text, mapped.starts, mapped.ends)
