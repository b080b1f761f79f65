"""The classifier experiment's pieces: fold groups, fast operating-point scoring, the embedding cache."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from benchmarks.claims.evaluate import score
from benchmarks.claims.real.corpus import Line
from models.claims_classifier import encoders
from models.claims_classifier.points import RuleSets, _view, search
from models.claims_classifier.pool import Item, site_groups
from monitor.detectors.claims.schema import CLAIM_CATEGORIES

K = len(CLAIM_CATEGORIES)


def _line(text: str, url: str) -> Line:
    return Line(id=url + text, text=text, label="violating", categories=("absolute_terms",), url=url, title="",
                source_kind="guide", date=None, split="train")


def test_sites_quoting_the_same_line_share_a_fold_group() -> None:
    lines = [
        _line("全网最低价", "https://a.example.com/1"),
        _line("全网最低价！", "https://b.example.org/2"),  # same line after dedup normalisation
        _line("史上最低", "https://c.example.net/3"),
        _line("第一品牌", "https://m.a.example.com/4"),  # same registrable domain as the first
    ]
    groups = site_groups(lines)
    assert groups["example.com"] == groups["example.org"]
    assert groups["example.net"] != groups["example.com"]


def _items(rng: np.random.Generator, n: int) -> list[Item]:
    out = []
    for i in range(n):
        k = int(rng.integers(0, 3))
        labels = tuple(str(c) for c in rng.choice(CLAIM_CATEGORIES, size=k, replace=False))
        out.append(Item(text=str(i), labels=labels, source="hand", view="clean", group=str(i)))
    return out


def test_fast_view_scores_match_the_benchmark_scorer() -> None:
    rng = np.random.default_rng(7)
    items = _items(rng, 300)
    flagged = rng.random((300, K)) < 0.1
    seen = flagged | (rng.random((300, K)) < 0.05)  # some categories only have pass hits
    rules = RuleSets(flagged=flagged, seen=seen, version="test")
    proba = rng.random((300, K))
    companions = frozenset(
        {frozenset(("medical_claims", "false_efficacy")), frozenset(("absolute_terms", "price_fraud"))}
    )
    view = _view("v", np.arange(300), items, rules, proba, companions, cap=1.0)
    cuts = rng.uniform(0.5, 0.95, K)
    predicted = [
        {c for j, c in enumerate(CLAIM_CATEGORIES) if flagged[i, j] or (proba[i, j] >= cuts[j] and not seen[i, j])}
        for i in range(300)
    ]
    expected = score([i.labels for i in items], predicted, companions)
    precision, recall, f1, flag, added = view.scores(cuts)
    assert (precision, recall, f1) == pytest.approx(
        (expected.micro.precision, expected.micro.recall, expected.micro.f1)
    )
    assert flag == pytest.approx(expected.clean_flag_rate)
    rules_only = score([i.labels for i in items], [{c for j, c in enumerate(CLAIM_CATEGORIES) if flagged[i, j]}
                                                   for i in range(300)], companions)
    assert rules_only.clean_flag_rate <= flag <= rules_only.clean_flag_rate + added + 1e-12


def test_search_respects_the_cap_on_clean_lines() -> None:
    rng = np.random.default_rng(3)
    items = _items(rng, 400)
    truth = np.array([[c in i.labels for c in CLAIM_CATEGORIES] for i in items])
    proba = np.clip(truth * 0.7 + rng.random((400, K)) * 0.4, 0, 1)  # clean rows reach up to 0.4, some to 0.7+
    none = np.zeros((400, K), bool)
    for cap in (0.0, 0.2):
        view = _view("v", np.arange(400), items, RuleSets(none, none, "none"), proba, frozenset(), cap=cap)
        cuts = search([view])
        assert cuts is not None
        assert view.scores(cuts)[3] <= cap and view.feasible(cuts)
    assert view.scores(cuts)[1] > 0.9, "a loose cap lets the classifier find most labels"
    noise = rng.random((400, K))  # probabilities that know nothing
    strict = _view("v", np.arange(400), items, RuleSets(none, none, "none"), noise, frozenset(), cap=0.0, floor=0.9)
    assert search([strict]) is None, "no choice reaches an F1 floor of 0.9 without flagging a clean line"


class _CountingEncoder:
    name = "fake"
    dim = 3
    calls: list[int] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        return np.array([[len(t), ord(t[0]), 1.0] for t in texts], np.float32)


def test_embedding_cache_embeds_each_text_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEMON_CACHE", str(tmp_path))
    monkeypatch.setitem(encoders.ENCODERS, "fake", _CountingEncoder)
    monkeypatch.setitem(encoders._DIMS, "fake", 3)
    _CountingEncoder.calls = []
    first = encoders.embed(["甲", "乙乙", "甲"], "fake", chunk=1)
    second = encoders.embed(["乙乙", "丙丙丙"], "fake")
    assert _CountingEncoder.calls == [1, 1, 1], "two new texts in chunks of one, then only 丙丙丙"
    assert first[:, 0].tolist() == [1.0, 2.0, 1.0]
    assert second[:, 0].tolist() == [2.0, 3.0]
    assert (tmp_path / "claims_classifier" / "fake_cache.npz").exists()
    with pytest.raises(Exception, match="unknown encoder"):
        encoders.embed(["甲"], "nope")


def test_weighted_training_stops_when_held_out_loss_stalls() -> None:
    from models.claims_classifier.train import TrainOptions, _train_mlp

    rng = np.random.default_rng(0)
    x = rng.standard_normal((120, 6)).astype(np.float32)
    y = np.zeros((120, K), np.float32)
    y[:, 0] = x[:, 0] > 0
    weights = np.where(np.arange(120) < 60, 1.0, 3.0).astype(np.float32)
    opt = TrainOptions(hidden=8, max_epochs=200, batch_size=32, lr=0.05)
    _, epochs = _train_mlp(x[:80], y[:80], opt, opt.max_epochs, x[80:], y[80:],
                           weights=weights[:80], w_val=weights[80:], patience=3)
    assert 1 <= epochs < 197, "the best epoch is kept and training stopped within three epochs after it"
