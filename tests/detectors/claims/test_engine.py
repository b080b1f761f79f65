from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from monitor.detectors.claims import CLAIM_CATEGORIES, ClaimEngine
from monitor.findings import CATEGORIES


def categories(engine: ClaimEngine, text: str) -> set[str]:
    return {h.category for h in engine.check(text)}


def test_claim_categories_follow_findings_order() -> None:
    assert CLAIM_CATEGORIES == CATEGORIES[:10]
    assert len(CLAIM_CATEGORIES) == 10


def test_every_builtin_pack_example_holds(engine: ClaimEngine) -> None:
    failures = engine.self_test()
    assert failures == [], "\n".join(
        f"{f.pack.name} {f.rule} {f.expected}: {f.example} (got {f.got})" for f in failures
    )


def test_one_builtin_pack_per_category(engine: ClaimEngine) -> None:
    assert sorted(p.category for p in engine.packs) == sorted(CLAIM_CATEGORIES)
    assert all(f"{p.name}@{p.version}" in engine.version for p in engine.packs)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("家人们这个是全网最低价，错过就没有了", "absolute_terms"),
        ("我们家销量第一，行业第一品牌", "absolute_terms"),
        ("这款茶喝了能降血压，还能治疗糖尿病", "medical_claims"),
        ("吃三个月根治失眠", "medical_claims"),
        ("三天瘦十斤，无效退款", "false_efficacy"),
        ("纯植物配方零副作用", "false_efficacy"),
        ("原价五百九十九，现在直播间只要五十九块九", "price_fraud"),
        ("最后三单了宝宝们抓紧", "fake_scarcity"),
        ("下播就恢复原价", "fake_scarcity"),
        ("这款已经卖了一千万单", "fake_data"),
        ("好评率百分之百", "fake_data"),
        ("想要的加我微信，私下转账更便宜", "traffic_diversion"),
        ("扫码进群领福利", "traffic_diversion"),
        ("央视推荐的品牌", "false_endorsement"),
        ("医院同款，专家推荐", "false_endorsement"),
        ("明星同款的包包", "false_endorsement"),
        ("高仿的包包，一比一复刻", "counterfeit"),
        ("这是大牌原单", "counterfeit"),
        ("别家都是假货", "disparagement"),
        ("某品牌有毒大家千万别买", "disparagement"),
        # phrasing families beyond single keywords
        ("这个发膜敷一次，分叉直接全部消失", "false_efficacy"),
        ("这个染发梳染一次永不褪色", "false_efficacy"),
        ("报我们的网课保证考过，考不过退学费", "false_efficacy"),
        ("这个祛斑霜效果比热玛吉还好", "false_efficacy"),
        ("外面超市卖的香油都是勾兑的", "disparagement"),
        ("某某牌子的电热壶用一个月就漏，质量太差", "disparagement"),
        ("这个饼干能治小孩积食", "medical_claims"),
        ("喝了两个月血糖就降下来了", "medical_claims"),
        ("这款面包是奥运冠军指定的训练餐", "false_endorsement"),
        ("这个茶是老中医的祖传秘方", "false_endorsement"),
        ("这个码只剩最后两双了", "fake_scarcity"),
        ("三十秒以后直接改价", "fake_scarcity"),
        ("这个锅一个月卖二十万口", "fake_data"),
        ("五十万个家庭都在用", "fake_data"),
        ("想要高清图的直接加我", "traffic_diversion"),
        ("别在直播间拍了，平台要抽成", "traffic_diversion"),
        ("专柜卖一千六一瓶，今天两瓶才二百五", "price_fraud"),
        ("这个价格是行业最低", "absolute_terms"),
    ],
)
def test_planted_claims_are_found(engine: ClaimEngine, text: str, category: str) -> None:
    assert category in categories(engine, text)


@pytest.mark.parametrize(
    "text",
    [
        "家人们上链接了",
        "三十九块九包邮",
        "第一次来直播间的宝宝点个关注",
        "最后一排的朋友看得见吗",
        "本产品不能代替药物",
        "如有不适请就医，请遵医嘱",
        "首先给大家介绍一下这款面霜",
        "最近天气冷了多穿点",
        "最好看的是你们的笑容",
        "这下大麻烦了",
        "不是最便宜的，但是品质好",
        "我们不说国家级",
        "扣一扣一，扣一的宝宝我看一下",
        "拍一发二，买一送一",
        "七天无理由退货，运费险都给大家送上",
        "倒计时五四三二一上链接",
        "分享到微信好友",
        "跟着我一起来看细节",
        "国家机关单位的朋友也在看",
        "大家最好早上用效果更好",
        "第一个下单的宝宝送小礼物",
        "原价199现在159",
        "今天只要五十九块九",
        # near misses of the wider families
        "我穿最舒服的一个尺码是M",
        "我最好的朋友也来了",
        "宝宝鞋内长十三厘米",
        "这个电视终身保修",
        "福袋五分钟后开奖",
        "别家的也不错，你们自己对比一下",
        "市面上有些商家以次充好，所以大家要看检测报告",
        "这个颜色好治愈",
        "这是血压计，用来量血压的，不是治高血压的",
        "我们不加微信，冒充我们的都是骗子",
        "扫地机器人扫码连接APP",
        "不要相信什么专家推荐",
        "最后一批客人的快递都发了",
        "价格跟平时一样，不会因为下播就涨价",
        "活动价五十九，下个月恢复六十九",
        "大件家具物流送货，到了会提前打电话",
    ],
)
def test_ordinary_selling_talk_is_not_flagged(engine: ClaimEngine, text: str) -> None:
    assert engine.check(text) == []


@pytest.mark.parametrize(
    ("text", "category", "keyword"),
    [
        ("全往最低价", "absolute_terms", None),
        ("这个是国家机认证的", "absolute_terms", "国家级"),
        ("这个是国家机认证的", "false_endorsement", None),
        ("喝了可以将薛鸭", "medical_claims", "降血压"),
        ("跟着糖尿病都能好", "medical_claims", None),
        ("全網最低價", "absolute_terms", None),
        ("央視推薦", "false_endorsement", None),
    ],
)
def test_asr_noise_is_found(engine: ClaimEngine, text: str, category: str, keyword: str | None) -> None:
    hits = [h for h in engine.check(text) if h.category == category]
    assert hits
    if keyword:
        assert hits[0].details == {"via": "pinyin", "keyword": keyword}
        assert hits[0].risk == "review"


def test_sound_only_hits_are_less_confident(engine: ClaimEngine) -> None:
    exact = engine.check("降血压")[0]
    heard = engine.check("将薛鸭")[0]
    assert heard.confidence < exact.confidence
    assert heard.details["via"] == "pinyin"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("加V信", "traffic_diversion"),
        ("薇信联系我", "traffic_diversion"),
        ("加 微 信", "traffic_diversion"),
        ("jia wei xin", "traffic_diversion"),
        ("➕v领福利", "traffic_diversion"),
        ("蕞低价", "absolute_terms"),
        ("zui di jia", "absolute_terms"),
        ("最.低.价", "absolute_terms"),
        ("quanwangzuidijia", "absolute_terms"),
    ],
)
def test_evasions_are_found(engine: ClaimEngine, text: str, category: str) -> None:
    assert category in categories(engine, text)


@pytest.mark.parametrize(
    ("text", "reference", "live", "ratio", "risk"),
    [
        ("原价五百九十九现在只要五十九块九", 599, 59.9, 10.0, "block"),
        ("吊牌价699，到手价69", 699, 69, 10.13, "block"),
        ("今天只要19.9，原价299", 299, 19.9, 15.03, "block"),
        ("原价199今天只要99", 199, 99, 2.01, "review"),
        ("原价 999 只要 9 块 9", 999, 9.9, 100.91, "block"),
    ],
)
def test_price_fraud_reports_the_ratio(
    engine: ClaimEngine, text: str, reference: float, live: float, ratio: float, risk: str
) -> None:
    (hit,) = [h for h in engine.check(text) if h.category == "price_fraud"]
    assert hit.details == {"reference_price": reference, "live_price": live, "ratio": ratio}
    assert hit.risk == risk


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("宝宝们，全網最低價！快拍", "全網最低價"),
        ("快 加 V 信 领福利", "加 V 信"),
        ("原价五百九十九，现在只要五十九块九哦", "原价五百九十九，现在只要五十九块九"),
        ("🎉🎉三天瘦十斤🎉", "三天瘦十斤"),
    ],
)
def test_spans_point_into_the_original_text(engine: ClaimEngine, text: str, matched: str) -> None:
    hits = engine.check(text)
    assert hits
    assert any(text[h.span[0] : h.span[1]] == matched == h.matched for h in hits)


def test_overlapping_hits_of_a_category_are_merged_and_sorted(engine: ClaimEngine) -> None:
    hits = [h for h in engine.check("全网最低价，全网最便宜，加微信") if h.category != "price_fraud"]
    assert [h.category for h in hits] == ["absolute_terms", "absolute_terms", "traffic_diversion"]
    assert [h.span for h in hits] == sorted(h.span for h in hits)


def test_negation_and_rhetorical_question(engine: ClaimEngine) -> None:
    assert engine.check("这不是最便宜的") == []
    assert "absolute_terms" in categories(engine, "这不是全网最低价吗")


@pytest.mark.parametrize(
    "text",
    [
        "这个血压计是测血压用的，它不降血压哈",  # denial right before the words
        "我不会跟你们说什么最后几单，想要就拍",  # denied speech further back
        "别指望它治什么病啊",
        "精仿？我们不做精仿，我们自己品牌自己工厂",  # echoed as a question, then denied
        "尾单？不是，这是我们自己工厂的过季款",
        "加v？我们不加v啊家人们",
        "网上说吃这个能抗癌的都是骗人的",  # hearsay the host debunks
        "有人在评论区发二维码说进群领红包，别扫，是骗子",
    ],
)
def test_denied_and_debunked_claims_are_not_flagged(engine: ClaimEngine, text: str) -> None:
    assert engine.check(text) == []


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("你们在别家买的精华都是水，没有成分", "disparagement"),  # a long clause is not an echo
        ("某主播卖的大闸蟹都是洗澡蟹，不是阳澄湖的", "disparagement"),
        ("这个是A huo，不是正品，但是品质超好", "counterfeit"),
        ("你们别信那个大品牌的广告，他们的产品全是垃圾", "disparagement"),
    ],
)
def test_claims_next_to_denial_words_still_hit(engine: ClaimEngine, text: str, category: str) -> None:
    assert category in categories(engine, text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\x00\x01\xff" * 100,
        "\ud800",
        "🙂" * 1000,
        "Привет мир ☃",
        bytes(range(256)).decode("latin-1"),
        "，。" * 5000,
    ],
)
def test_junk_input_does_not_crash(engine: ClaimEngine, text: str) -> None:
    assert isinstance(engine.check(text), list)


def test_very_long_text_is_checked_in_windows(engine: ClaimEngine) -> None:
    filler = "家人们看一下这个面料" * 10_000
    text = filler + "全网最低价" + filler
    hits = engine.check(text)
    assert sorted(h.category for h in hits) == ["absolute_terms", "price_fraud"]  # a 极限词 and a record-low price
    (absolute,) = [h for h in hits if h.category == "absolute_terms"]
    assert text[absolute.span[0] : absolute.span[1]] == "全网最低价"


def test_check_many_matches_check(engine: ClaimEngine) -> None:
    texts = ["全网最低价", "家人们上链接了", "加微信"]
    assert engine.check_many(texts) == [engine.check(t) for t in texts]


def test_hits_carry_basis_and_rule(engine: ClaimEngine) -> None:
    (hit,) = [h for h in engine.check("全网最低价") if h.category == "absolute_terms"]
    assert hit.basis == "《广告法》（2021-04-29 修正）第九条第（三）项"
    assert hit.rule == "abs.lowest_price"
    assert 0 < hit.confidence <= 1


def test_builtin_packs_dir_exists() -> None:
    assert (Path(__file__).parents[3] / "monitor/detectors/claims/packs/absolute_terms.yaml").is_file()


class _SaysMedical:
    """A classifier that calls every text a medical claim."""

    name = "fake-medical"

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        probs = np.zeros((len(texts), len(CLAIM_CATEGORIES)))
        probs[:, CLAIM_CATEGORIES.index("medical_claims")] = 0.99
        return probs


@pytest.mark.parametrize(
    "text",
    [
        "有助于改善睡眠",
        "维生素D有助于骨骼形成",
        "本品不能代替药物,请在医生指导下使用",
        "預防皮膚干裂",
        "没有科学依据证明它能治病",  # a denial is not a claim
    ],
)
def test_permitted_wording_keeps_the_classifier_quiet_and_is_no_finding(text: str) -> None:
    engine = ClaimEngine.load(classifier=_SaysMedical())  # says "medical" of every line
    hits = engine.check(text)
    assert not [h for h in hits if h.category == "medical_claims"], hits
    assert [h.category for h in ClaimEngine.load(classifier=None)._rule_hits(text)], "a pass rule matched"


def test_the_classifier_still_speaks_where_no_permitted_wording_is() -> None:
    engine = ClaimEngine.load(classifier=_SaysMedical())
    hits = engine.check("这个茶老人喝了身体好")
    assert [(h.category, h.risk, h.rule) for h in hits] == [("medical_claims", "review", "classifier:medical_claims")]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("全年最低价就在今天", "price_fraud"),
        ("这款是全网销量第一", "fake_data"),
        ("沉香能延年益寿", "false_efficacy"),
        ("这个精华还能淡化色斑", "false_efficacy"),
        ("这款精华液能快速祛斑", "medical_claims"),
        ("这是抗敏祛痘专利技术", "false_endorsement"),
        ("这个奶粉可以代替母乳", "false_efficacy"),
    ],
)
def test_real_language_kinds_are_found(engine: ClaimEngine, text: str, category: str) -> None:
    assert category in {h.category for h in engine.check(text)}


@pytest.mark.parametrize(
    ("text", "reference", "live"),
    [
        ("原价六七万,这个只有七八千", 60_000.0, 8_000.0),  # a range counts low as reference, high as live
        ("原价三四百现在只要五十九", 300.0, 59.0),
        ("原价459元/件,今天才有(89.9元/件)", 459.0, 89.9),  # a bracketed price after its word
    ],
)
def test_prices_said_as_ranges_or_in_brackets(engine: ClaimEngine, text: str, reference: float, live: float) -> None:
    (hit,) = [h for h in engine.check(text) if h.category == "price_fraud"]
    assert (hit.details["reference_price"], hit.details["live_price"]) == (reference, live)
