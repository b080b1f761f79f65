"""On-screen text, behind a one-method protocol, with RapidOCR as the default engine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from monitor.errors import ModelError
from monitor.observations.types import TextBox

__all__ = ["OcrEngine", "OcrOptions", "RapidOcrEngine", "boxes_from_rapidocr"]


class OcrEngine(Protocol):
    """Anything that reads the text lines of BGR images."""

    name: str

    def read(self, images: Sequence[np.ndarray]) -> list[tuple[TextBox, ...]]:
        """One tuple of text lines per image, in reading order."""
        ...


@dataclass(frozen=True, slots=True)
class OcrOptions:
    """RapidOCR settings."""

    det_side: int = 640
    """Longest side the text detector sees; live-room overlay text is large."""
    min_score: float = 0.6
    use_angle_classifier: bool = False
    """Live-room overlays are upright; the 180° classifier only costs time."""
    use_cuda: bool = False
    """Run det/rec on onnxruntime's CUDA provider (needs onnxruntime-gpu)."""
    threads: int = 1
    """onnxruntime's intra-op threads on the CPU. One: OCR runs beside decoding, face tracking and
    speech recognition, and a second thread's spinning doubled the CPU seconds of a read (444 against
    209 ms on two busy cores) for little wall time."""


def boxes_from_rapidocr(output: Any, min_score: float) -> tuple[TextBox, ...]:
    """Adapt a ``RapidOCROutput`` to text boxes (axis-aligned, pixels), dropping weak reads."""
    if output is None or output.boxes is None or output.txts is None:
        return ()
    boxes = []
    for quad, text, score in zip(output.boxes, output.txts, output.scores, strict=True):
        text = str(text).strip()
        if not text or float(score) < min_score:
            continue
        quad = np.asarray(quad, dtype=np.float32)
        x0, y0 = quad.min(axis=0)
        x1, y1 = quad.max(axis=0)
        boxes.append(TextBox(text=text, box=(float(x0), float(y0), float(x1), float(y1)), score=float(score)))
    boxes.sort(key=lambda b: (round(b.box[1] / 16), b.box[0]))
    return tuple(boxes)


class RapidOcrEngine:
    """PP-OCR (det + rec ONNX models shipped in the ``rapidocr`` wheel) on onnxruntime."""

    def __init__(self, options: OcrOptions = OcrOptions()) -> None:
        self.options = options
        self.name = f"rapidocr:PP-OCRv6-small:det{options.det_side}:{'cuda' if options.use_cuda else 'cpu'}"
        try:
            from rapidocr import RapidOCR

            self._ocr = RapidOCR(
                params={
                    "Global.log_level": "error",
                    "Global.use_cls": options.use_angle_classifier,
                    "Det.limit_type": "max",
                    "Det.limit_side_len": options.det_side,
                    "EngineConfig.onnxruntime.use_cuda": options.use_cuda,
                    "EngineConfig.onnxruntime.intra_op_num_threads": options.threads,
                }
            )
        except Exception as e:
            raise ModelError(f"cannot load RapidOCR: {e}") from e

    def read(self, images: Sequence[np.ndarray]) -> list[tuple[TextBox, ...]]:
        return [boxes_from_rapidocr(self._ocr(image), self.options.min_score) for image in images]
