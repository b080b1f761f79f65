"""Platforms' public banned-word lists ship as rule packs, chosen like any pack folder."""

from __future__ import annotations

import pytest

from monitor.detectors.claims import ClaimEngine
from monitor.detectors.claims.engine import platform_names
from monitor.detectors.claims.schema import read_pack
from monitor.errors import ConfigError


def test_the_major_platforms_ship_word_lists() -> None:
    assert {"douyin", "kuaishou", "taobao", "weixin", "xiaohongshu", "pinduoduo", "jd"} <= set(platform_names())


@pytest.mark.parametrize("name", platform_names())
def test_a_platform_pack_loads_names_its_sources_and_passes_its_examples(name: str) -> None:
    engine = ClaimEngine.load([f"platform:{name}"])  # type: ignore[list-item]
    added = [p for p in engine.packs if p.path.parent.name == name]
    assert added
    own = [f for f in engine.self_test() if f.rule.startswith(f"{name}.")]
    assert own == [], "a platform pack's own examples hold (word lists are cruder than the built-in rules)"
    for pack in added:
        spec = read_pack(pack.path)
        assert spec.platform == name and spec.sources
        assert all(r.id.startswith(f"{name}.") for r in spec.rules)
    assert any(f"{p.name}@" in engine.version for p in added)


def test_platform_words_flag_only_when_chosen() -> None:
    text = "主页有惊喜"
    plain = {h.rule for h in ClaimEngine.load().check(text)}
    chosen = {h.rule for h in ClaimEngine.load(["platform:douyin"]).check(text)}  # type: ignore[list-item]
    assert not any(r.startswith("douyin.") for r in plain)
    assert any(r.startswith("douyin.") for r in chosen)


def test_an_unknown_platform_is_named_with_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown platform rule pack 'platform:tiktok'; known: .*douyin"):
        ClaimEngine.load(["platform:tiktok"])  # type: ignore[list-item]
