"""Spellings hosts use to dodge keyword filters, mapped back to the plain word.

``fold_char`` runs per character before anything else (variant characters and
emoji that stand for a word); ``undo_evasions`` runs on the cleaned, lower-case
Simplified text (V信/薇信/vx/加v → 微信, pinyin spellings → characters).
"""

from __future__ import annotations

import re
from functools import lru_cache

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
    # financial (大写) numerals: 伍佰捌 → 五百八
    "壹": "一",
    "贰": "二",
    "叁": "三",
    "肆": "四",
    "伍": "五",
    "陆": "六",
    "柒": "七",
    "捌": "八",
    "玖": "九",
    "拾": "十",
    "佰": "百",
    "仟": "千",
    # keycap digits (8⃣️): the combining keycap and the emoji selector are dropped
    "\u20e3": "",
    "\ufe0f": "",
}

# Sensitive words that hosts half-spell in pinyin: one character written as its
# syllable (假huo, la圾, gao仿, tang尿病). Any one character of a word may be spelt.
MIXED_PINYIN_WORDS: tuple[str, ...] = (
    "假货", "假的", "垃圾", "有毒", "致癌", "生长素", "激素", "骗人", "坑人", "智商税",
    "糖尿病", "高血压", "血压", "血糖", "皮炎", "衰竭", "癌症", "治疗", "根治", "近视", "湿疹",
    "高仿", "复刻", "精仿", "原单", "莆田", "山寨", "a货",
    "第一", "顶级", "最后", "最好", "最低", "全网", "国家级", "销冠",
    "同款", "医生", "中央台", "品牌", "抖音", "专家", "央视", "明星", "代言", "推荐", "认证", "院士",
    "原价", "价格", "恢复", "秒杀",
    "好评", "差评", "百分之", "个亿", "万单", "销量", "回购", "复购",
    "十万", "百万", "千万", "一亿",
    "微信", "私聊", "转账", "进群", "二维码",
    "见效", "有效", "退款", "副作用", "反弹", "美白", "减肥", "保证",
    "库存", "限量", "售罄", "抢光",
)

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
    "gao xue ya": "高血压",
    "jiang xue ya": "降血压",
    "tang niao bing": "糖尿病",
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
            rf"(?P<add>加|\+) ?(?P<me>我 ?)?(?:v ?x|w ?x|v|w|微){_LATIN_AFTER}"
            r"(?!信|博|店|商|波|笑|胖|调|辣|甜|醺|距|整|创|量|型|米|粒|软|弱|凉|课|电影|单|信)",
            # V我 (send me on WeChat), V号 (WeChat id)
            rf"{_LATIN_BEFORE}v(?= ?(?:我|号))",
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
_CJK_LATIN = re.compile(r"[\u4e00-\u9fff] ?[a-z]|[a-z] ?[\u4e00-\u9fff]")
# 远价 / 元价 (homophones of 原价) before a number
_YUANJIA_RE = re.compile(r"[远元]价(?=[\d一二两三四五六七八九十百千万])")
_WAN_RE = re.compile(rf"(?<=[\d十百千])w{_LATIN_AFTER}")


@lru_cache(maxsize=1)
def _mixed_pinyin() -> tuple[re.Pattern[str], dict[str, str]]:
    """A regex for the half-spelt forms of :data:`MIXED_PINYIN_WORDS` and the word each stands for."""
    from pypinyin import lazy_pinyin

    forms: dict[str, str] = {}
    for word in MIXED_PINYIN_WORDS:
        for i, ch in enumerate(word):
            if not "\u4e00" <= ch <= "\u9fff":
                continue
            syllable = lazy_pinyin(ch)[0].replace("ü", "v")
            if syllable.isascii() and syllable.isalpha():
                forms.setdefault(word[:i] + "\0" + syllable + "\0" + word[i + 1 :], word)
    parts = []
    for form in sorted(forms, key=len, reverse=True):
        before, syllable, after = form.split("\0")
        lead = "" if before else _LATIN_BEFORE
        guard = _LATIN_BEFORE if before[:1].isascii() else ""
        parts.append(guard + re.escape(before) + lead + " ?" + syllable + _LATIN_AFTER + " ?" + re.escape(after))
    return re.compile("|".join(parts)), {f.replace("\0", ""): w for f, w in forms.items()}


def _mixed_word(m: re.Match[str]) -> str:
    return _mixed_pinyin()[1].get(m.group(0).replace(" ", ""), m.group(0))


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
        if _CJK_LATIN.search(mapped.text):
            mapped = mapped.sub(_mixed_pinyin()[0], _mixed_word)
    if any(c in text for c in "vwx+微薇徽威卫维围"):
        mapped = mapped.sub(_WECHAT_RE, _wechat)
    if "q" in text or "扣扣" in text:
        mapped = mapped.sub(_QQ_RE, lambda m: "加qq")
    if "价" in text:
        mapped = mapped.sub(_YUANJIA_RE, lambda m: "原价")
    if "w" in mapped.text:  # 10w, 一千w → 万
        mapped = mapped.sub(_WAN_RE, lambda m: "万")
    return mapped
