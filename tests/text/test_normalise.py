import pytest

from monitor.text import normalise, pinyin_sequence
from monitor.text.numerals import parse_chinese_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("全網最低價", "全网最低价"),
        ("ＡＢＣ１２３", "abc123"),
        ("最 低 价", "最低价"),
        ("加.微.信", "加微信"),
        ("最\u200b低\u200d价", "最低价"),
        ("最🔥低价", "最低价"),
        ("加V信", "加微信"),
        ("薇信", "微信"),
        ("加我vx", "加我微信"),
        ("➕v", "加微信"),
        ("蕞低价", "最低价"),
        ("zui di jia", "最低价"),
        ("weixin", "微信"),
        ("jia wei xin", "加微信"),
        ("10w+好评", "10万+好评"),
        ("树立威信", "树立威信"),
        ("加威信", "加微信"),
        # one character of a sensitive word spelt in pinyin
        ("别家都是假huo", "别家都是假货"),
        ("这是gao仿", "这是高仿"),
        ("能治tang尿病", "能治糖尿病"),
        ("这个是A huo", "这个是a货"),
        ("shanghai发货", "shanghai发货"),
        # homophones of 原价 before a number, financial numerals, keycap digits
        ("远价五百九十九", "原价599"),
        ("市场价伍佰捌", "市场价580"),
        ("原价8\u20e3\ufe0f8\u20e3\ufe0f", "原价88"),
        # 加微 / V我 mean WeChat; 加微博 does not
        ("加我微❤，备注", "加我微信,备注"),
        ("V我", "微信我"),
        ("加微博", "加微博"),
        ("vivo手机", "vivo手机"),
    ],
)
def test_normalise_text(raw: str, expected: str) -> None:
    assert normalise(raw).text == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("九块九", "9.9"),
        ("两千八", "2800"),
        ("三十九块九包邮", "39.9包邮"),
        ("原价一百九十九", "原价199"),
        ("百分之百", "100%"),
        ("好评率百分之九十八", "好评率98%"),
        ("九块九毛九", "9.99"),
        ("一万二", "12000"),
        ("一千万单", "10000000单"),
        ("五十九点九元", "59.9元"),
        ("三天瘦十斤", "3天瘦10斤"),
        ("最后三单", "最后3单"),
        # words that contain numerals stay words
        ("一起", "一起"),
        ("万一", "万一"),
        ("千万别买", "千万别买"),
        ("十分好用", "十分好用"),
        ("一比一", "一比一"),
        ("几十万", "几十万"),
        ("价格59.9元 原价 599", "价格59.9元原价599"),
        ("12 34", "12 34"),
        # a price per item: the trailing 一 is "one box", not an elided digit
        ("外面卖八百一盒", "外面卖800一盒"),
        ("一百六一瓶", "160一瓶"),
        ("一百零一件", "101件"),
        ("十一件", "11件"),
        ("三十一天", "31天"),
    ],
)
def test_numerals(raw: str, expected: str) -> None:
    assert normalise(raw).text == expected


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("三百九十九", 399),
        ("一百零五", 105),
        ("两千八", 2800),
        ("一亿五千万", 150_000_000),
        ("十", 10),
        ("一五一十", None),
    ],
)
def test_parse_chinese_number(numeral: str, value: float | None) -> None:
    assert parse_chinese_number(numeral) == value


@pytest.mark.parametrize(
    ("raw", "needle", "original"),
    [
        ("家人们全網最低價！", "全网最低价", "全網最低價"),
        ("快 加 V 信 领福利", "加微信", "加 V 信"),
        ("原价一百九十九，现在", "199", "一百九十九"),
        ("三十九块九包邮", "39.9", "三十九块九"),
        ("zui di jia哦", "最低价", "zui di jia"),
    ],
)
def test_offsets_map_back_to_original(raw: str, needle: str, original: str) -> None:
    nt = normalise(raw)
    start = nt.text.index(needle)
    a, b = nt.original_span(start, start + len(needle))
    assert raw[a:b] == original


@pytest.mark.parametrize("raw", ["", "\x00\x01\x02", "\ud800broken", "🙂🙂🙂", "Привет мир", "a" * 50_000, "，。！？"])
def test_junk_does_not_crash(raw: str) -> None:
    nt = normalise(raw)
    assert len(nt.starts) == len(nt.text) == len(nt.ends)
    assert all(0 <= s <= e <= len(raw) for s, e in zip(nt.starts, nt.ends, strict=True))


def test_pinyin_sequence_hears_homophones_alike() -> None:
    assert pinyin_sequence("全往最低价").syllables == pinyin_sequence("全网最低价").syllables
    assert pinyin_sequence("将薛鸭").syllables == pinyin_sequence("降血压").syllables
    spelt = pinyin_sequence("quanwang")
    assert spelt.syllables == pinyin_sequence("全网").syllables
    assert spelt.spans == ((0, 4), (4, 8))
