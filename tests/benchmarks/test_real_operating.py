"""Fusion operating points scored by site folds: raising the classifier's thresholds drops its own flags."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from benchmarks.claims.real.corpus import Line
from benchmarks.claims.real.cv import DEV_FOLDS, fold_of
from benchmarks.claims.real.operating import DELTAS, operating_points, raised
from monitor.detectors.claims import ClaimEngine
from monitor.detectors.claims.fusion import FusionConfig
from monitor.detectors.claims.schema import CLAIM_CATEGORIES


class _SaysFakeData:
    """Every text is fake_data with probability 0.9."""

    name = "fake-data-0.9"

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        probs = np.zeros((len(texts), len(CLAIM_CATEGORIES)))
        probs[:, CLAIM_CATEGORIES.index("fake_data")] = 0.9
        return probs


def _site(dev: bool) -> str:
    return next(f"http://s{i}.com/p" for i in range(1000) if (fold_of(f"s{i}.com") in DEV_FOLDS) == dev)


def _line(text: str, url: str, categories: tuple[str, ...]) -> Line:
    return Line(id=url + text, text=text, label="violating" if categories else "compliant",
                categories=categories, url=url, title="", source_kind="news", date=None, split="train")


def test_raised_thresholds_are_capped_and_cover_every_category() -> None:
    config = raised(FusionConfig(alone_threshold=0.85, category_thresholds={"fake_data": 0.99}), 0.1)
    assert set(config.category_thresholds) == set(CLAIM_CATEGORIES)
    assert config.category_thresholds["fake_data"] == 0.995
    assert config.category_thresholds["price_fraud"] == 0.95


def test_a_raised_text_point_stops_classifier_only_flags_on_read_and_dev_folds() -> None:
    engine = ClaimEngine.load(classifier=_SaysFakeData(), fusion=FusionConfig(alone_threshold=0.85))
    lines = [
        _line("今天的天气不错", _site(dev=False), ()),
        _line("好评如潮", _site(dev=False), ("fake_data",)),
        _line("大家晚上好", _site(dev=True), ()),
    ]
    points = operating_points(engine, lines, frozenset())
    assert list(points) == ["speech"] + [f"text +{d:.2f}" for d in DELTAS]
    shipped, raised_ = points["text +0.00"], points["text +0.06"]
    assert shipped["read folds"]["compliant_flagged"] == 1.0 and shipped["dev folds"]["compliant_flagged"] == 1.0
    assert shipped["read folds"]["violating_found"] == 1.0
    assert raised_["read folds"]["compliant_flagged"] == 0.0 and raised_["dev folds"]["compliant_flagged"] == 0.0
    assert raised_["read folds"]["violating_found"] == 0.0
