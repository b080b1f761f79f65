from pathlib import Path

import numpy as np
import pytest

from monitor.detectors.claims import CLAIM_CATEGORIES, ClaimEngine, FusionConfig, fuse_confidence
from monitor.errors import ConfigError

GOOD_PACK = """
version: "1"
category: counterfeit
basis: 商标法
rules:
  - id: user.brand_knockoff
    keywords: [阿迪王]
    risk: review
    confidence: 0.7
    examples: {match: [正宗阿迪王], no_match: [阿迪达斯]}
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_user_pack_is_loaded_and_versioned(tmp_path: Path) -> None:
    write(tmp_path, "brands.yaml", GOOD_PACK)
    engine = ClaimEngine.load(pack_dirs=[tmp_path])
    assert [h.rule for h in engine.check("正宗阿迪王")] == ["user.brand_knockoff"]
    assert "brands@1" in engine.version
    assert engine.self_test() == []


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("version: '1'\ncategory: [unclosed", ["bad.yaml", "YAML"]),
        (GOOD_PACK.replace("risk: review", "risk: review\n    colour: red"), ["bad.yaml", "colour"]),
        (GOOD_PACK.replace("category: counterfeit", "category: fake_news"), ["bad.yaml", "category"]),
        (GOOD_PACK.replace("risk: review", "risk: maybe"), ["bad.yaml", "risk"]),
        (GOOD_PACK.replace("keywords: [阿迪王]", "regex: ['(阿迪']"), ["bad.yaml", "user.brand_knockoff", "regex"]),
        (GOOD_PACK.replace("keywords: [阿迪王]", "regex: ['{brands}王']"), ["bad.yaml", "brands"]),
        (GOOD_PACK.replace("    keywords: [阿迪王]\n", ""), ["bad.yaml", "needs keywords"]),
        ("- just\n- a list\n", ["bad.yaml", "mapping"]),
    ],
)
def test_bad_pack_raises_config_error_naming_file_and_key(tmp_path: Path, text: str, names: list[str]) -> None:
    write(tmp_path, "bad.yaml", text)
    with pytest.raises(ConfigError) as info:
        ClaimEngine.load(pack_dirs=[tmp_path])
    for name in names:
        assert name in str(info.value)


def test_duplicate_rule_id_is_a_config_error(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD_PACK)
    write(tmp_path, "b.yaml", GOOD_PACK)
    with pytest.raises(ConfigError, match="already used"):
        ClaimEngine.load(pack_dirs=[tmp_path])


def test_missing_pack_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        ClaimEngine.load(pack_dirs=[tmp_path / "nope"])


def test_failing_example_is_reported_by_self_test(tmp_path: Path) -> None:
    write(tmp_path, "brands.yaml", GOOD_PACK.replace("match: [正宗阿迪王]", "match: [耐克]"))
    failures = ClaimEngine.load(pack_dirs=[tmp_path]).self_test()
    assert [(f.rule, f.example, f.expected) for f in failures] == [("user.brand_knockoff", "耐克", "match")]


@pytest.mark.parametrize(("name", "content"), [("allow.txt", "# brands\n最生活\n"), ("allow.yaml", "- 最生活\n")])
def test_allow_list_drops_hits_on_allowed_phrases(tmp_path: Path, name: str, content: str) -> None:
    text = "最生活的毛巾，最舒服的"
    assert [h.matched for h in ClaimEngine.load().check(text)] == ["最生活的", "最舒服的"]
    engine = ClaimEngine.load(allow_list=write(tmp_path, name, content))
    assert [h.matched for h in engine.check(text)] == ["最舒服的"]
    assert engine.version.split(";")[-1].startswith("allow@")


def test_bad_allow_list_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        ClaimEngine.load(allow_list=write(tmp_path, "allow.yaml", "phrases: {a: 1}\n"))
    with pytest.raises(ConfigError):
        ClaimEngine.load(allow_list=tmp_path / "missing.txt")


class FakeClassifier:
    def __init__(self, probs: dict[str, float]) -> None:
        self.row = np.array([probs.get(c, 0.0) for c in CLAIM_CATEGORIES])

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return np.tile(self.row, (len(texts), 1))


def test_classifier_agreement_raises_rule_confidence() -> None:
    plain = next(h for h in ClaimEngine.load().check("全网最低价") if h.category == "absolute_terms")
    fused = next(
        h
        for h in ClaimEngine.load(classifier=FakeClassifier({"absolute_terms": 0.9})).check("全网最低价")
        if h.category == "absolute_terms"
    )
    assert fused.confidence == fuse_confidence(plain.confidence, 0.9, FusionConfig()) > plain.confidence
    assert fused.rule == plain.rule


def test_classifier_only_detection_is_a_review_hit_over_the_whole_text() -> None:
    text = "这个东西吃了人会变聪明"
    hits = ClaimEngine.load(classifier=FakeClassifier({"false_efficacy": 0.95, "counterfeit": 0.4})).check(text)
    assert [(h.category, h.risk, h.rule, h.span) for h in hits] == [
        ("false_efficacy", "review", "classifier:false_efficacy", (0, len(text)))
    ]


def test_per_category_thresholds_override_the_shared_one() -> None:
    text = "这个东西吃了人会变聪明"
    fusion = FusionConfig(alone_threshold=0.9, category_thresholds={"counterfeit": 0.3})
    classifier = FakeClassifier({"false_efficacy": 0.6, "counterfeit": 0.4})
    hits = ClaimEngine.load(classifier=classifier, fusion=fusion).check(text)
    assert [h.category for h in hits] == ["counterfeit"]


def test_transcripts_use_the_speech_operating_point() -> None:
    text = "这个东西吃了人会变聪明"
    engine = ClaimEngine.load(
        classifier=FakeClassifier({"false_efficacy": 0.6}),
        fusion=FusionConfig(alone_threshold=0.9),
        speech_fusion=FusionConfig(alone_threshold=0.5),
    )
    assert engine.check(text) == []
    assert [h.rule for h in engine.check(text, "speech")] == ["classifier:false_efficacy"]
    with pytest.raises(ValueError, match="source"):
        engine.check(text, "video")  # type: ignore[arg-type]


def test_classifier_with_wrong_shape_is_rejected() -> None:
    class Broken:
        def predict_proba(self, texts: list[str]) -> np.ndarray:
            return np.zeros((len(texts), 3))

    with pytest.raises(ValueError, match="shape"):
        ClaimEngine.load(classifier=Broken()).check("你好")


@pytest.mark.parametrize(("c", "p", "expected"), [(0.8, 0.2, 0.8), (0.8, 1.0, 0.9), (0.0, 0.5, 0.25), (1.0, 0.9, 1.0)])
def test_fuse_confidence_formula(c: float, p: float, expected: float) -> None:
    assert fuse_confidence(c, p, FusionConfig()) == pytest.approx(expected)


def test_a_pack_may_not_block_claims_that_are_lawful_when_true(tmp_path: Path) -> None:
    blocking = GOOD_PACK.replace("counterfeit", "fake_scarcity").replace("risk: review", "risk: block")
    write(tmp_path, "stock.yaml", blocking)
    with pytest.raises(ConfigError, match="user.brand_knockoff: fake_scarcity claims .* go to review, never block"):
        ClaimEngine.load(pack_dirs=[tmp_path])
