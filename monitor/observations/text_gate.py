"""Skip OCR on frames whose text regions did not change.

A frame is compared with the last frame that was read, on a small grey copy:
the pixels inside the text boxes read last time (did a caption change or go
away?) and the changed pixels elsewhere that look like text (dense, strong
edges) where the read frame had none nearby (did a caption appear?). A plain
moving host changes pixels but makes no text-like edges; a host in patterned
clothes holding a printed product does make them, but they were already there,
a few pixels away, in the frame that was read, so swaying does not trigger a
new read. A caption that appears right over such a pattern waits for the
refresh interval, which bounds how long any reuse can last.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from monitor.observations.types import TextBox

__all__ = ["TextChangeGate", "TextGateOptions"]

GATE_WIDTH = 320
TEXT_EDGE_DENSITY = 0.6
TEXTURE_EDGE_DENSITY = 0.3
"""Edge density of texture that was nearly text-like in the read frame (a pattern's density flickers as it moves)."""
SWAY = np.ones((9, 9), np.uint8)
"""How far (pixels of the small copy, about 2.5% of its width) text-like texture may move and still count as
the same texture."""


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


def _edge_density(grey: np.ndarray) -> np.ndarray:
    """Share of strong-edge pixels around each pixel: high for glyph strokes, low for the outline of a body."""
    edges = (cv2.morphologyEx(grey, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 60).astype(np.float32)
    return cv2.blur(edges, (11, 7))


class TextChangeGate:
    """Stateful per-stream gate: ``needs_read(image, time)`` then ``remember(...)`` after a read."""

    def __init__(self, options: TextGateOptions = TextGateOptions()) -> None:
        self.options = options
        self._grey: np.ndarray | None = None
        self._box_mask: np.ndarray | None = None
        self._was_text: np.ndarray | None = None
        self._time = -1e9

    @staticmethod
    def _small_grey(image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        scale = GATE_WIDTH / w
        small = cv2.resize(image, (GATE_WIDTH, max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)

    def needs_read(self, image: np.ndarray, time: float) -> bool:
        """True when the frame must go through OCR."""
        if not self.options.enabled or self._grey is None or self._box_mask is None or self._was_text is None:
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
        new_text = changed & (_edge_density(grey) > TEXT_EDGE_DENSITY) & ~self._was_text & ~self._box_mask
        return float(new_text.mean()) > self.options.new_text_change

    def remember(self, image: np.ndarray, time: float, boxes: tuple[TextBox, ...]) -> None:
        """Record the frame that was just read and where its text is."""
        grey = self._small_grey(image)
        scale = grey.shape[1] / image.shape[1]
        mask = np.zeros(grey.shape, dtype=bool)
        for b in boxes:
            x0, y0, x1, y1 = (int(round(v * scale)) for v in b.box)
            mask[max(0, y0 - 1) : y1 + 2, max(0, x0 - 1) : x1 + 2] = True
        was_text = cv2.dilate((_edge_density(grey) > TEXTURE_EDGE_DENSITY).astype(np.uint8), SWAY) > 0
        self._grey, self._box_mask, self._was_text, self._time = grey, mask, was_text, time
