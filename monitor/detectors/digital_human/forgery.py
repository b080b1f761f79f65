"""Plug-in point for a user's own face-forgery model: ONNX, face crops in, one score per crop out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from monitor.detectors.digital_human.signal import Signal, clip01
from monitor.errors import ModelError
from monitor.observations.faces import FaceCrop
from monitor.observations.types import ForgeryScores

__all__ = ["ForgeryModel", "OnnxForgeryModel", "forgery_signal", "score_crops"]


class ForgeryModel(Protocol):
    """Anything that scores RGB face crops: 1 = forged/synthetic, 0 = real."""

    name: str

    def score(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """One score in [0, 1] per crop."""
        ...


class OnnxForgeryModel:
    """An ONNX model taking ``(N, 3, S, S)`` float32 RGB in [0, 1] (or mean/std-normalised) and
    returning ``(N,)`` or ``(N, 1)`` probabilities; ``logits=True`` applies a sigmoid first."""

    def __init__(
        self,
        path: Path,
        *,
        batch_size: int = 16,
        mean: tuple[float, float, float] = (0.0, 0.0, 0.0),
        std: tuple[float, float, float] = (1.0, 1.0, 1.0),
        logits: bool = False,
    ) -> None:
        try:
            import onnxruntime as ort
        except ImportError as e:
            raise ModelError("the forgery model needs onnxruntime") from e
        if not path.is_file():
            raise ModelError(f"forgery model not found: {path}")
        try:
            self._session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own untyped errors
            raise ModelError(f"cannot load the forgery model {path}: {e}") from e
        shape = self._session.get_inputs()[0].shape
        if len(shape) != 4 or not isinstance(shape[2], int) or shape[2] != shape[3]:
            raise ModelError(f"forgery model {path} must take (N, 3, S, S) input with a fixed S, got {shape}")
        self.size: int = shape[2]
        self.batch_size = batch_size
        self._input = self._session.get_inputs()[0].name
        self._mean = np.array(mean, np.float32).reshape(1, 3, 1, 1)
        self._std = np.array(std, np.float32).reshape(1, 3, 1, 1)
        self._logits = logits
        self.name = f"onnx:{path.name}"

    def _tensor(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        batch = np.stack([cv2.resize(c, (self.size, self.size), interpolation=cv2.INTER_AREA) for c in crops])
        x = batch.astype(np.float32).transpose(0, 3, 1, 2) / 255.0
        return (x - self._mean) / self._std

    def score(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        out: list[np.ndarray] = []
        for i in range(0, len(crops), self.batch_size):
            y = self._session.run(None, {self._input: self._tensor(crops[i : i + self.batch_size])})[0]
            y = np.asarray(y, np.float64).reshape(len(crops[i : i + self.batch_size]), -1)[:, -1]
            out.append(1.0 / (1.0 + np.exp(-y)) if self._logits else y)
        return np.clip(np.concatenate(out), 0.0, 1.0) if out else np.zeros(0)


def score_crops(model: ForgeryModel, crops: Sequence[FaceCrop]) -> ForgeryScores:
    """The model's score of every kept face crop (an observation: stored with the record)."""
    scores = model.score([c.image for c in crops]) if crops else np.zeros(0)
    return ForgeryScores(model.name, tuple(round(float(s), 6) for s in scores))


def forgery_signal(scores: ForgeryScores) -> Signal:
    """Mean score of the user's model over the kept face crops."""
    if not scores.scores:
        return Signal.not_judged("forgery_model", "no face crops to score", model=scores.model)
    mean = float(np.mean(scores.scores))
    evidence = {"model": scores.model, "crops": len(scores.scores), "max": round(float(np.max(scores.scores)), 3)}
    reason = f"{scores.model}: mean score {mean:.2f} over {len(scores.scores)} crops"
    return Signal("forgery_model", clip01(mean), reason, evidence)
