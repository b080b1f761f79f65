"""Spellings hosts use to dodge keyword filters, mapped back to the plain word.

``fold_char`` runs per character before anything else (variant characters and
emoji that stand for a word); ``undo_evasions`` runs on the cleaned, lower-case
Simplified text (V信/薇信/vx/加v → 微信, pinyin spellings → characters).
"""

from __future__ import annotations

import re

from monitor.text.mapped import MappedText

__all__ = ["CHAR_SUBSTITUTES", "undo_evasions"]

CHAR_SUBSTITUTES: dict[str, str] = {
    "蕞": "最",
    "㝡": "最",
    "冣": "最",
    "➕": "+",
    "🈶": "有",
    "🈚": "无",
    "🉑": "可",
    "🉐": "得",
    "🆓": "免费",
    "💯": "100%",
    "🔝": "顶",
    "💊": "药",
    "￥": "¥",
}

# Pinyin spellings of words hosts type or say to avoid filters (spaces optional).
_PINYIN_WORDS: dict[str, str] = {
    "jia wei xin": "加微信",
    "wei xin": "微信",
    "zui di jia": "最低价",
    "zui pian yi": "最便宜",
    "zui di": "最低",
    "zui hao": "最好",
    "quan wang": "全网",
    "guo jia ji": "国家级",
    "gao fang": "高仿",
    "yi bi yi": "一比一",
    "si liao": "私聊",
    "zhuan zhang": "转账",
}

_LATIN_BEFORE = r"(?<![a-z])"
_LATIN_AFTER = r"(?![a-z])"


def _pinyin_pattern(spelling: str) -> str:
    return " ?".join(spelling.split())


_PINYIN_RE = re.compile(
    _LATIN_BEFORE
    + "(?:"
    + "|".join(
        f"(?P<p{i}>{_pinyin_pattern(k)})"
        for i, k in enumerate(sorted(_PINYIN_WORDS, key=len, reverse=True))
    )
    + ")"
    + _LATIN_AFTER
)
_PINYIN_BY_GROUP = {f"p{i}": _PINYIN_WORDS[k] for i, k in enumerate(sorted(_PINYIN_WORDS, key=len, reverse=True))}

_WECHAT_RE = re.compile(
    "|".join(
        (
            # 加v, +v, 加我vx, 加微 (but not 加微信 itself)
            rf"(?P<add>加|\+) ?(?P<me>我 ?)?(?:v ?x|w ?x|v|w|微){_LATIN_AFTER}(?!信)",
            # V信, 薇信, 徽信, wei信, 微x, vx, wx
            rf"{_LATIN_BEFORE}(?:v|w|wei) ?信",
            r"[薇徽]信",
            rf"微 ?x{_LATIN_AFTER}",
            rf"{_LATIN_BEFORE}(?:v ?x|w ?x){_LATIN_AFTER}",
            # 威信 and 卫星 are real words; only after 加 / 私 / 我的 they mean WeChat
            r"(?P<verb>加|\+|私|搜|我的?)(?:威信|卫星|维信|围信)",
        )
    )
)
_QQ_RE = re.compile(rf"(?:加|\+) ?(?:我 ?)?(?:扣扣|q{_LATIN_AFTER})")
_WAN_RE = re.compile(rf"(?<=[\d十百千])w{_LATIN_AFTER}")


def _wechat(m: re.Match[str]) -> str:
    if m.group("add"):
        return "加" + ("我" if m.group("me") else "") + "微信"
    if m.group("verb"):
        return ("加" if m.group("verb") == "+" else m.group("verb")) + "微信"
    return "微信"


def _pinyin_word(m: re.Match[str]) -> str:
    return _PINYIN_BY_GROUP[m.lastgroup or ""]


def undo_evasions(mapped: MappedText) -> MappedText:
    """Rewrite common filter-dodging spellings to their plain form."""
    text = mapped.text
    if any("a" <= c <= "z" for c in text):
        mapped = mapped.sub(_PINYIN_RE, _pinyin_word)
    if any(c in text for c in "vwx+薇徽威卫维围"):
        mapped = mapped.sub(_WECHAT_RE, _wechat)
    if "q" in text or "扣扣" in text:
        mapped = mapped.sub(_QQ_RE, lambda m: "加qq")
    if "w" in mapped.text:  # 10w, 一千w → 万
        mapped = mapped.sub(_WAN_RE, lambda m: "万")
    return mapped
