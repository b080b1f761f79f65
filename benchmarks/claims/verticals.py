"""Corpus sentences tagged to a selling vertical by the products they name.

The claims corpus has no vertical field. :data:`TAXONOMY` lists, per vertical of ``prompts/asr``,
product nouns a sentence of that vertical names; a sentence is tagged to a vertical when it names
one of its nouns and none of another vertical's (sentences naming two verticals, or none, are left
out). The taxonomy was written apart from the prompts' hotwords and is broader (products, not
ingredients or selling words), but some nouns are in both (面膜, 手机, 翡翠...): a sentence that
says a hotword favours its vertical's prompt. :func:`hotword_share` reports how many tagged
sentences contain one, so the bias is stated with every result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from benchmarks.claims.corpus import Record

__all__ = ["TAXONOMY", "hotword_share", "tag", "tagged"]

TAXONOMY: Mapping[str, tuple[str, ...]] = {
    "cosmetics": (
        "面霜", "面膜", "精华", "口红", "粉底", "眼霜", "乳液", "爽肤水", "化妆水", "洗面奶", "防晒", "美白",
        "护肤", "祛斑", "祛痘", "皱纹", "眼影", "香水", "彩妆", "洁面", "卸妆", "气垫", "素颜霜", "化妆品",
    ),
    "health_food": (
        "保健品", "保健食品", "益生菌", "鱼油", "蛋白粉", "维生素", "钙片", "胶原蛋白", "酵素", "营养素",
        "褪黑素", "氨基酸", "阿胶", "人参", "灵芝", "虫草", "燕窝", "孢子粉", "葡萄籽", "营养品", "片剂", "胶囊",
    ),
    "tea": ("茶", "普洱", "龙井", "铁观音", "大红袍", "红茶", "绿茶", "白茶", "茶饼", "茶叶", "岩茶", "乌龙"),
    "apparel": (
        "衣服", "裙", "外套", "T恤", "衬衫", "裤", "羽绒", "毛衣", "卫衣", "棉服", "大衣", "风衣", "内衣",
        "袜", "鞋", "面料", "纯棉", "真丝", "羊毛", "羊绒", "款式", "尺码", "上衣", "西装",
    ),
    "jewellery": (
        "翡翠", "玉", "黄金", "金条", "钻石", "珍珠", "手镯", "项链", "戒指", "耳环", "吊坠", "珠宝",
        "蜜蜡", "琥珀", "银饰", "手串", "克拉", "金饰",
    ),
    "electronics": (
        "手机", "耳机", "电脑", "平板", "充电", "数据线", "音箱", "相机", "手表", "扫地机", "吹风机",
        "电视", "空调", "冰箱", "洗衣机", "路由器", "键盘", "鼠标", "投影", "电动牙刷", "剃须刀", "家电",
    ),
    "food": (
        "零食", "坚果", "牛肉", "饼干", "蜂蜜", "大米", "奶粉", "牛奶", "辣条", "螺蛳粉", "面条", "水果",
        "海参", "鸡蛋", "腊肉", "香肠", "巧克力", "咖啡", "酸奶", "月饼", "粽子", "方便面", "食用油", "橄榄油",
    ),
}
"""Product nouns per vertical. ``food`` and ``health_food`` overlap in the wild (胶原蛋白 drinks, 燕窝): here a
noun belongs to one of them only."""


def tag(text: str, taxonomy: Mapping[str, Sequence[str]] = TAXONOMY) -> str | None:
    """The one vertical whose nouns ``text`` names, or None (no vertical, or more than one)."""
    found = {v for v, nouns in taxonomy.items() if any(n in text for n in nouns)}
    return found.pop() if len(found) == 1 else None


def tagged(records: Iterable[Record], taxonomy: Mapping[str, Sequence[str]] = TAXONOMY) -> dict[str, list[Record]]:
    """Records by vertical (those :func:`tag` gives one), in the order given."""
    out: dict[str, list[Record]] = {v: [] for v in taxonomy}
    for r in records:
        vertical = tag(r.text, taxonomy)
        if vertical is not None:
            out[vertical].append(r)
    return out


def hotword_share(records: Sequence[Record], hotwords: Sequence[str]) -> float:
    """Share of ``records`` whose text contains one of ``hotwords`` (0 for none)."""
    return sum(any(w in r.text for w in hotwords) for r in records) / len(records) if records else 0.0
