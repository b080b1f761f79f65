"""Chinese numerals and spoken prices to Arabic digits (九块九 → 9.9, 两千八 → 2800).

Only numerals in a numeric context are converted, so words such as 一起, 万一,
千万别, 十分 and 第一 keep their characters.
"""

from __future__ import annotations

import re

from monitor.text.mapped import MappedText

__all__ = ["convert_numerals", "parse_chinese_number"]

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG = {"万": 10_000, "亿": 100_000_000}
_DIGIT_CHARS = "".join(_DIGITS)
_NUM_CHARS = _DIGIT_CHARS + "十百千万亿"

# Measure words and currency that make a lone digit (三天, 五件, 九块) a number.
_MEASURES = (
    "单件个份瓶盒罐袋包支套箱斤克天日周年次块元毛角折倍岁位人名批组波期颗粒片米升台款色种秒层步排号码%"
)
_MEASURE_WORDS = ("公斤", "千克", "小时", "分钟", "星期", "毫升", "厘米", "个月", "斤肉")
_NO_CONVERT_BEFORE = "几数多上好"

_RUN = re.compile(
    rf"(?P<pct>百分之)?(?P<num>[{_NUM_CHARS}]+(?:点[{_DIGIT_CHARS}]+)?)"
)
_PERCENT_ALL = re.compile(r"百分之?百")
_PRICE_FORM = re.compile(r"(\d+)[块元](\d)(?:毛(\d)?)?(?![\d万千百.])")


def parse_chinese_number(text: str) -> float | None:
    """Value of a Chinese numeral (with colloquial elision: 两千八 = 2800), or None."""
    whole, _, frac = text.partition("点")
    if frac and not all(c in _DIGITS for c in frac):
        return None
    value = _parse_integer(whole)
    if value is None:
        return None
    if frac:
        return float(f"{value}.{''.join(str(_DIGITS[c]) for c in frac)}")
    return float(value)


def _parse_integer(text: str) -> int | None:
    if not text:
        return None
    if all(c in _DIGITS for c in text):
        return int("".join(str(_DIGITS[c]) for c in text))
    total = section = number = 0
    last_unit = section_unit = 0
    prev = ""
    zero = False
    for ch in text:
        if ch in _DIGITS:
            if prev == "digit" and not zero:
                return None
            number = _DIGITS[ch]
            zero = zero or number == 0
            prev = "digit"
        elif ch in _UNITS:
            unit = _UNITS[ch]
            if prev == "unit" or (section_unit and unit >= section_unit):
                return None
            section += (number if prev == "digit" else 1) * unit
            number = 0
            last_unit = section_unit = unit
            zero = False
            prev = "unit"
        else:  # 万 / 亿
            if prev in ("", "big"):
                return None
            big = _BIG[ch]
            section += number
            total = (total + section) * big if big > _BIG["万"] else total + section * big
            section = number = section_unit = 0
            last_unit = big
            zero = False
            prev = "big"
    if number and last_unit and not zero:
        section += number * (last_unit // 10)  # elision: 两千八 = 2800, 一万二 = 12000
    else:
        section += number
    return total + section


def _format(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _replace_run(text: str, m: re.Match[str]) -> str:
    num = m.group("num")
    pct = m.group("pct")
    start, end = m.span()
    before = text[start - 1] if start else ""
    after = text[end : end + 2]
    if before and before in _NO_CONVERT_BEFORE and not pct:
        return m.group(0)
    if num[0] not in _DIGITS and num[0] != "十":
        return m.group(0)  # 万一, 千万别, 百货
    has_unit = any(c in "十百千万亿" for c in num) or "点" in num
    if num == "十":
        if after.startswith("分") or not _is_measure(after):
            return m.group(0)  # 十分好用
    elif not has_unit and not pct and not _is_measure(after) and not (before and before in "块元毛"):
        return m.group(0)  # 一起, 第一, 一比一
    if not pct and len(num) > 2 and num[-1] == "一" and num[-2] not in "十点零" and _is_measure(after):
        # a price per item: 八百一盒 = 800 a box, 一百六一瓶 = 160 a bottle
        head = parse_chinese_number(num[:-1])
        if head is not None and head >= 100:
            return _format(head) + "一"
    value = parse_chinese_number(num)
    if value is None:
        return m.group(0)
    return _format(value) + ("%" if pct else "")


def _is_measure(after: str) -> bool:
    return bool(after) and (after[0] in _MEASURES or after in _MEASURE_WORDS or after[:1] in "万亿")


def convert_numerals(mapped: MappedText) -> MappedText:
    """Convert Chinese numerals and spoken prices in ``mapped`` to digits."""
    if any(c in _NUM_CHARS for c in mapped.text):
        mapped = mapped.sub(_PERCENT_ALL, lambda m: "100%")
        text = mapped.text
        mapped = mapped.sub(_RUN, lambda m: _replace_run(text, m))
    return mapped.sub(_PRICE_FORM, lambda m: f"{m.group(1)}.{m.group(2)}{m.group(3) or ''}")
