"""Reference price set against live price (原价599 现在只要59.9 → ratio 10)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

__all__ = ["PriceComparison", "PriceMatcher"]

# A quantity between a price word and its number: 今天三瓶一百九十九, 四盒才九十九.
# 只 counts animals and things, but 只要/只需/只卖/只有 start a price (原价999只要9块9).
_QUANTITY = r"(?:\d+(?:瓶|盒|件|套|片|罐|包|支|斤|条|双|个|只(?![要需卖有])|袋|份|杯|饼|箱))"
# Short words between a price word and its number (到手只要59.9, 老板说今天亏本卖990, 吊牌上写的1200):
# any characters but digits and clause breaks. Kept disjoint from _QUANTITY so the regex cannot backtrack badly.
_GAP_CHAR = r"[^\d,.]"
_MAX_GAP_CHARS = 10
# A price said as a round range in Chinese numerals, which normalising leaves as words: 六七万, 三四百.
_RANGE = r"(?P<lo>[一二两三四五六七八九])(?P<hi>[一二两三四五六七八九])(?P<rank>十|百|千|万)"
# One clause break may stand right before the number: a price in brackets, 今天才有(89.9元).
_NUMBER = rf"(?:,)?(?:¥|\$)?(?:(?P<num>\d+(?:\.\d+)?)(?P<unit>万|千)?|{_RANGE})(?:多)?(?:元|块|rmb)?"
# A number followed by these counts things, not money: 只要3盒, 现在5折.
_NOT_PRICE = (
    r"(?![\d.]|件|个|单|盒|瓶|份|套|天|%|折|倍|人|斤|次|号|点|年|月|岁|周|小时|分(?!钱)|秒(?!杀)|克|g|kg|ml|毫升|升|厘米|cm|米|码"
    r"|度|层|寸|公里|位|名|期|颗|粒|片|支|条|双|只(?![要需卖有])|袋|箱|罐|台|款|色|种|口|届|集|节|楼|岁)"
)
_UNIT = {"万": 10_000.0, "千": 1_000.0}
_RANK = {"十": 10.0, "百": 100.0, "千": 1_000.0, "万": 10_000.0}
_DIGIT = {c: float(i) for i, c in enumerate("零一二三四五六七八九")} | {"两": 2.0}


@dataclass(frozen=True, slots=True)
class PriceComparison:
    start: int
    end: int
    reference_price: float
    live_price: float
    ratio: float


@dataclass(frozen=True, slots=True)
class _Mention:
    start: int
    end: int
    value: float


class PriceMatcher:
    """Finds reference/live price pairs within ``max_gap`` characters of each other."""

    __slots__ = ("_live", "_max_gap", "_max_ratio", "_min_ratio", "_reference")

    def __init__(
        self,
        reference: Sequence[str],
        live: Sequence[str],
        min_ratio: float,
        max_ratio: float | None,
        max_gap: int,
    ) -> None:
        self._reference = self._compile(reference)
        self._live = self._compile(live)
        self._min_ratio = min_ratio
        self._max_ratio = max_ratio
        self._max_gap = max_gap

    @staticmethod
    def _compile(words: Sequence[str]) -> re.Pattern[str]:
        alt = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
        return re.compile(
            rf"(?:{alt})(?:{_QUANTITY}|{_GAP_CHAR}){{0,{_MAX_GAP_CHARS}}}?{_NUMBER}{_NOT_PRICE}"
        )

    @staticmethod
    def _mentions(pattern: re.Pattern[str], text: str, *, high: bool) -> list[_Mention]:
        """Prices in ``text``; a range (六七万) counts as its top when ``high`` (a live price), else its bottom,
        so a ratio is never larger than what was said."""
        out = []
        for m in pattern.finditer(text):
            if m.group("num") is not None:
                value = float(m.group("num")) * _UNIT.get(m.group("unit") or "", 1.0)
            else:
                value = _DIGIT[m.group("hi" if high else "lo")] * _RANK[m.group("rank")]
            if value > 0:
                out.append(_Mention(m.start(), m.end(), value))
        return out

    def find(self, text: str) -> Iterator[PriceComparison]:
        references = self._mentions(self._reference, text, high=False)
        if not references:
            return
        lives = self._mentions(self._live, text, high=True)
        for ref in references:
            live = self._nearest(ref, lives)
            if live is None:
                continue
            ratio = ref.value / live.value
            if ratio < self._min_ratio or (self._max_ratio is not None and ratio >= self._max_ratio):
                continue
            yield PriceComparison(
                start=min(ref.start, live.start),
                end=max(ref.end, live.end),
                reference_price=ref.value,
                live_price=live.value,
                ratio=round(ratio, 2),
            )

    def _nearest(self, ref: _Mention, lives: list[_Mention]) -> _Mention | None:
        best: tuple[int, _Mention] | None = None
        for live in lives:
            if live.start < ref.end and ref.start < live.end:
                continue  # the same words read twice
            gap = live.start - ref.end if live.start >= ref.end else ref.start - live.end
            if gap <= self._max_gap and (best is None or gap < best[0]):
                best = (gap, live)
        return best[1] if best else None
