"""Every legal basis a finding cites points into the checked table of articles."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from monitor.detectors.basis import citation, load_table
from monitor.detectors.claims import BUILTIN_PACKS, ClaimEngine
from monitor.detectors.claims.engine import PLATFORM_PACKS
from monitor.errors import ConfigError

PACK = """
version: "1"
category: counterfeit
basis: {basis}
rules:
  - id: user.knockoff
    keywords: [阿迪王]
    risk: review
    confidence: 0.7
"""


def _pack_refs(path: Path) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    refs = list(data["basis"])
    for rule in data["rules"]:
        refs += list(rule.get("basis") or [])
    return refs


@pytest.mark.parametrize("path", sorted([*BUILTIN_PACKS.glob("*.yaml"), *PLATFORM_PACKS.rglob("*.yaml")]), ids=str)
def test_every_shipped_pack_cites_articles_in_the_table(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data["basis"], list), "a shipped pack cites table ids, not free text"
    table = load_table()
    missing = [ref for ref in _pack_refs(path) if ref.partition(":")[0] not in table]
    assert not missing


def test_every_article_has_verbatim_text_and_an_address() -> None:
    table = load_table()
    assert len(table) >= 20
    for article in table.values():
        assert article.text.strip() and article.source.startswith(("http://", "https://"))
        assert article.article.startswith("第") and article.article.endswith("条")


def test_unfair_competition_citations_use_the_2025_numbering() -> None:
    cited = " ".join(p.basis for p in ClaimEngine.load().packs)
    assert "《反不正当竞争法》（2025-06-27 修订）第九条" in cited
    assert "《反不正当竞争法》（2025-06-27 修订）第十二条" in cited
    assert "《反不正当竞争法》（2019" not in cited
    assert "商业诋毁" not in load_table()["aucl_2025.art9"].text
    assert "商业信誉" in load_table()["aucl_2025.art12"].text


def test_citation_groups_articles_of_one_law() -> None:
    cited = citation(["ad_law_2021.art9:三", "ad_law_2021.art28"])
    assert cited == "《广告法》（2021-04-29 修正）第九条第（三）项、第二十八条"


def test_a_pack_citing_a_missing_article_fails_to_load_naming_it(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(PACK.format(basis="[ad_law_2021.art99]"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"p\.yaml: key basis: legal basis 'ad_law_2021.art99' is not in"):
        ClaimEngine.load([tmp_path])


def test_a_user_pack_may_still_cite_in_free_text(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(PACK.format(basis="平台自律公约 第3条"), encoding="utf-8")
    (hit,) = ClaimEngine.load([tmp_path]).check("正宗阿迪王")
    assert hit.basis == "平台自律公约 第3条"
