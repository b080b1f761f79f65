"""Chinese names of categories, risks, sources and the judge's verdicts, for what reviewers read (reports, console)."""

from __future__ import annotations

__all__ = ["CATEGORY_ZH", "RISK_ZH", "SOURCE_ZH", "VERDICT_ZH"]

CATEGORY_ZH: dict[str, str] = {
    "absolute_terms": "极限用语",
    "medical_claims": "宣称医疗功效",
    "false_efficacy": "虚假功效",
    "price_fraud": "价格欺诈",
    "fake_scarcity": "虚假稀缺",
    "fake_data": "虚构数据",
    "traffic_diversion": "私下引流",
    "false_endorsement": "虚假背书",
    "counterfeit": "假冒商品",
    "disparagement": "贬低竞品",
    "dh_undisclosed": "数字人未标识",
    "dh_label_intermittent": "数字人标识不连续",
}
RISK_ZH: dict[str, str] = {"block": "拦截", "review": "待审", "pass": "通过"}
SOURCE_ZH: dict[str, str] = {
    "speech": "语音", "screen": "画面文字", "metadata": "元数据", "video": "视频", "audio": "音频", "room": "直播间",
}
VERDICT_ZH: dict[str, str] = {"violation": "构成违规", "not_violation": "不构成违规", "unsure": "无法判断"}
