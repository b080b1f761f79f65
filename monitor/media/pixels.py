"""A frame's pixels, converted to BGR only where a stage looks.

Face analysis takes ~10 frames a second at full size (a small host needs the pixels) but
looks at a square around the face on most of them, and at the whole frame only when it
searches. Converting a whole 1080x1920 I420 frame to BGR costs ~6 ms; the window around
a face, well under one. :class:`I420Pixels` keeps the decoded planes and converts the
region asked for; its pixels are the very ones a whole-frame conversion gives (OpenCV's
I420 conversion uses one chroma sample per 2x2 block, so an even-aligned region converts
alone to the same values). :class:`BgrPixels` gives the same interface over a BGR image.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import cv2
import numpy as np

__all__ = ["BgrPixels", "FramePixels", "I420Pixels", "as_pixels"]


@runtime_checkable
class FramePixels(Protocol):
    """A frame's pixels, in BGR on demand."""

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...

    def bgr(self) -> np.ndarray:
        """The whole frame, HxWx3 BGR."""
        ...

    def region(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """``bgr()[y0:y1, x0:x1]`` (bounds clipped to the frame), without converting the rest."""
        ...

    def thinned(self, step: int) -> np.ndarray:
        """``bgr()[::step, ::step]``."""
        ...


class BgrPixels:
    """:class:`FramePixels` over a BGR image that is already converted."""

    def __init__(self, image: np.ndarray) -> None:
        self.image = image

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    def bgr(self) -> np.ndarray:
        return self.image

    def region(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        return self.image[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]

    def thinned(self, step: int) -> np.ndarray:
        return self.image[::step, ::step]


class I420Pixels:
    """:class:`FramePixels` over a decoded I420 frame: its Y plane (height x width, both even) and its U
    and V planes (half that each way). The planes may be views of the decoder's own buffers."""

    def __init__(self, y: np.ndarray, u: np.ndarray, v: np.ndarray) -> None:
        height, width = y.shape[:2]
        half = (height // 2, width // 2)
        if (
            y.ndim != 2 or width % 2 or height % 2 or u.shape != half or v.shape != half
            or not y.dtype == u.dtype == v.dtype == np.uint8
        ):
            raise ValueError(f"not the I420 planes of a frame: {y.shape} {u.shape} {v.shape} {y.dtype}")
        self._width, self._height = width, height
        self._y, self._u, self._v = y, u, v
        self._bgr: np.ndarray | None = None

    @classmethod
    def packed(cls, planes: np.ndarray, width: int, height: int) -> I420Pixels:
        """From the packed layout FFmpeg's ``to_ndarray`` and OpenCV use: (height * 3 / 2) x width bytes."""
        if width % 2 or height % 2 or planes.shape != (height * 3 // 2, width):
            raise ValueError(f"not an I420 frame of {width}x{height}: {planes.shape}")
        flat = planes.reshape(-1)
        quarter = width * height // 4
        return cls(
            flat[: width * height].reshape(height, width),
            flat[width * height : width * height + quarter].reshape(height // 2, width // 2),
            flat[width * height + quarter :].reshape(height // 2, width // 2),
        )

    @property
    def width(self) -> int:
        return self._width

    @property
    def height(self) -> int:
        return self._height

    def bgr(self) -> np.ndarray:
        if self._bgr is None:
            self._bgr = self._convert(self._y, self._u, self._v)
        return self._bgr

    @staticmethod
    def _convert(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """BGR of planes cut to an even-sized block (``u`` and ``v`` half its size each way)."""
        h, w = y.shape
        packed = np.empty((h * 3 // 2, w), np.uint8)
        packed[:h] = y
        chroma = packed[h:].reshape(2, -1)
        chroma[0].reshape(u.shape)[:] = u
        chroma[1].reshape(v.shape)[:] = v
        return cv2.cvtColor(packed, cv2.COLOR_YUV2BGR_I420)

    def region(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(self._width, x1), min(self._height, y1)
        if x1 <= x0 or y1 <= y0:
            return np.zeros((max(0, y1 - y0), max(0, x1 - x0), 3), np.uint8)
        if self._bgr is not None:
            return self._bgr[y0:y1, x0:x1]
        ex0, ey0 = x0 - x0 % 2, y0 - y0 % 2
        ex1, ey1 = x1 + x1 % 2, y1 + y1 % 2
        block = self._convert(
            self._y[ey0:ey1, ex0:ex1], self._u[ey0 // 2 : ey1 // 2, ex0 // 2 : ex1 // 2],
            self._v[ey0 // 2 : ey1 // 2, ex0 // 2 : ex1 // 2],
        )
        return block[y0 - ey0 : y1 - ey0, x0 - ex0 : x1 - ex0]

    def thinned(self, step: int) -> np.ndarray:
        if self._bgr is not None or step % 2:
            return self.bgr()[::step, ::step]
        # every kept pixel has a chroma sample of its own: convert a block twice the size in which
        # each kept luma sample sits at an even position with that chroma, then keep those positions
        y = self._y[::step, ::step]
        u = self._u[:: step // 2, :: step // 2]
        v = self._v[:: step // 2, :: step // 2]
        doubled = np.repeat(np.repeat(y, 2, axis=0), 2, axis=1)
        return self._convert(doubled, u, v)[::2, ::2]


def as_pixels(image: np.ndarray | FramePixels) -> FramePixels:
    """``image`` as :class:`FramePixels` (a BGR array is wrapped)."""
    return BgrPixels(image) if isinstance(image, np.ndarray) else image
