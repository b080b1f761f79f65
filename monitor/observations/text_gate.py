"""Skip OCR on frames whose text regions did not change.

A frame is compared with the last frame that was read, on a small grey copy:
the pixels inside the text boxes read last time (did a caption change or go
away?) and the changed pixels elsewhere that look like text (dense, strong
edges: did a caption appear?). Moving hosts change pixels but rarely make text
edges, so they do not trigger a new read. A refresh interval bounds how long a
reuse can last.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from monitor.observations.types import TextBox

__all__ = ["TextChangeGate", "TextGateOptions"]

GATE_WIDTH = 320
TEXT_EDGE_DENSITY = 0.6


@dataclass(frozen=True, slots=True)
class TextGateOptions:
    enabled: bool = True
    pixel_delta: int = 28
    """Grey-level change (0..255) that counts a pixel as changed."""
    box_change: float = 0.04
    """Share of changed pixels inside the old text boxes that forces a new read."""
    new_text_change: float = 0.004
    """Share of the frame where changed pixels coincide with text-like edges."""
    refresh_every: float = 10.0
    """Seconds after which a frame is read again whatever the gate says."""


def _text_like(grey: np.ndarray) -> np.ndarray:
    """Pixels in areas of dense strong edges: glyph strokes, not the outline of a moving body."""
    edges = (cv2.morphologyEx(grey, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 60).astype(np.float32)
    return cv2.blur(edges, (11, 7)) > TEXT_EDGE_DENSITY


class TextChangeGate:
    """Stateful per-stream gate: ``needs_read(image, time)`` then ``remember(...)`` after a read."""

    def __init__(self, options: TextGateOptions = TextGateOptions()) -> None:
        self.options = options
        self._grey: np.ndarray | None = None
        self._box_mask: np.ndarray | None = None
        self._time = -1e9

    @staticmethod
    def _small_grey(image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        scale = GATE_WIDTH / w
        small = cv2.resize(image, (GATE_WIDTH, max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)

    def needs_read(self, image: np.ndarray, time: float) -> bool:
        """True when the frame must go through OCR."""
        if not self.options.enabled or self._grey is None or self._box_mask is None:
            return True
        if time - self._time >= self.options.refresh_every:
            return True
        grey = self._small_grey(image)
        if grey.shape != self._grey.shape:
            return True
        changed = cv2.absdiff(grey, self._grey) > self.options.pixel_delta
        in_boxes = int(self._box_mask.sum())
        if in_boxes and float((changed & self._box_mask).sum()) / in_boxes > self.options.box_change:
            return True
        new_text = changed & _text_like(grey) & ~self._box_mask
        return float(new_text.mean()) > self.options.new_text_change

    def remember(self, image: np.ndarray, time: float, boxes: tuple[TextBox, ...]) -> None:
        """Record the frame that was just read and where its text is."""
        grey = self._small_grey(image)
        scale = grey.shape[1] / image.shape[1]
        mask = np.zeros(grey.shape, dtype=bool)
        for b in boxes:
            x0, y0, x1, y1 = (int(round(v * scale)) for v in b.box)
            mask[max(0, y0 - 1) : y1 + 2, max(0, x0 - 1) : x1 + 2] = True
        self._grey, self._box_mask, self._time = grey, mask, time
