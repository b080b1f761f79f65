"""The host's face at live-room framing: search the whole frame, then landmark a square crop around it.

MediaPipe's landmarker shrinks the picture it is given to a small square, so a
host who fills a third of a vertical frame's width is too small for it.
:class:`HostFaceEngine` finds the face with :class:`TiledFaceSearch`, keeps a
square window around it (moved only when the face drifts or changes size) and
hands the landmarker that window, scaled to the size it expects. Boxes come
back in frame pixels. While a face is tracked the frame is searched again every
``research_interval`` seconds to count other faces and to move to a larger one;
while none is, searches back off to at most one per ``max_search_gap`` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from monitor.media.pixels import BgrPixels, FramePixels, as_pixels
from monitor.observations.face_search import FaceBox, TiledFaceSearch, same_face
from monitor.observations.faces import FaceObservation, MediaPipeFaceEngine, face_landmarker_path

__all__ = ["HostFaceEngine", "HostFaceOptions", "Window", "crop_window"]

SEARCH_VERSION = "tiles-1"


@dataclass(frozen=True, slots=True)
class HostFaceOptions:
    """How the host's face is searched for and followed."""

    min_face: float = 56.0
    """Smallest face, in frame pixels, the search looks for."""
    min_score: float = 0.6
    """Face detector score a search hit needs."""
    crop_px: int = 256
    """Side of the square the landmarker is given."""
    face_share: float = 0.45
    """Share of the window's side the face fills after the window is (re)placed."""
    drift: float = 0.12
    """The window moves when the face centre is this share of its side off centre..."""
    share_range: tuple[float, float] = (0.32, 0.62)
    """... or when the face fills a share of the side outside this range."""
    research_interval: float = 2.0
    """Seconds between searches while a face is followed."""
    max_search_gap: float = 1.0
    """Longest wait, in seconds, between searches while no face is in view."""
    switch_ratio: float = 1.3
    """A face found this much larger than the followed one becomes the followed face."""
    max_candidates: int = 4
    """Search hits, best-scoring first, that the landmarker is asked to confirm."""


@dataclass(frozen=True, slots=True)
class Window:
    """A square region of the frame: centre and side in pixels (it may reach past the frame's edges)."""

    cx: float
    cy: float
    side: float

    @classmethod
    def around(cls, box: tuple[float, float, float, float], share: float) -> Window:
        size = max(box[2] - box[0], box[3] - box[1])
        return cls((box[0] + box[2]) / 2, (box[1] + box[3]) / 2, max(size / share, 16.0))

    @property
    def origin(self) -> tuple[float, float]:
        return self.cx - self.side / 2, self.cy - self.side / 2


def crop_window(image: np.ndarray | FramePixels, window: Window, size: int) -> np.ndarray:
    """``window`` of a BGR image scaled to ``size`` x ``size``; parts outside the frame are black."""
    pixels = as_pixels(image)
    height, width = pixels.height, pixels.width
    x0, y0 = (int(round(v)) for v in window.origin)
    side = max(1, int(round(window.side)))
    ix0, iy0, ix1, iy1 = max(0, x0), max(0, y0), min(width, x0 + side), min(height, y0 + side)
    if ix1 <= ix0 or iy1 <= iy0:
        return np.zeros((size, size, 3), np.uint8)
    square = cv2.copyMakeBorder(
        pixels.region(ix0, iy0, ix1, iy1), iy0 - y0, y0 + side - iy1, ix0 - x0, x0 + side - ix1,
        cv2.BORDER_CONSTANT, value=0,
    )
    return cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA if side > size else cv2.INTER_LINEAR)


def _to_frame(face: FaceObservation, window: Window, size: int) -> FaceObservation:
    x0, y0 = window.origin
    k = window.side / size
    b = face.box
    return replace(face, box=(x0 + b[0] * k, y0 + b[1] * k, x0 + b[2] * k, y0 + b[3] * k))


def _box_only(face: FaceObservation) -> FaceObservation:
    """Another face in view: only its box is kept; its blendshapes and pose are NaN."""
    nan = float("nan")
    return FaceObservation(face.box, nan, nan, nan, nan, nan, nan)


def _size(face: FaceObservation) -> float:
    return max(face.box[2] - face.box[0], face.box[3] - face.box[1])


def _same_face(a: FaceObservation, b: FaceObservation) -> bool:
    return same_face(a.box, b.box)


class HostFaceEngine:
    """A :class:`~monitor.observations.faces.FaceEngine` for whole live-room frames of any size and framing.

    One instance serves one stream (frames in time order). Every face a search
    reports is confirmed by the landmarker on a crop around it, so detector
    false alarms (a cat, a printed pattern) are dropped. The first face returned
    is the host's, with landmarks; the others are boxes only.

    Both models run in IMAGE mode, so what follows one stream is only this object's
    window: :meth:`for_stream` gives another stream its own follower on the same
    models (a watch runs one set for every room, from one thread), and closing it
    leaves the models to their owner.
    """

    def __init__(
        self, model_path: Path | None = None, options: HostFaceOptions = HostFaceOptions(), *,
        shared: HostFaceEngine | None = None,
    ) -> None:
        self.options = options
        self._owner = shared is None
        self._search: TiledFaceSearch
        self._landmarker: MediaPipeFaceEngine
        if shared is not None:
            self._search, self._landmarker = shared._search, shared._landmarker
        else:
            path = model_path or face_landmarker_path()
            self._search = TiledFaceSearch(path, options.min_face, options.min_score)
            try:
                self._landmarker = MediaPipeFaceEngine(path, max_faces=1, video=False)
            except Exception:
                self._search.close()
                raise
        self.name = f"{self._landmarker.name}+{SEARCH_VERSION}"
        self._reset()

    def for_stream(self) -> HostFaceEngine:
        """A follower of another stream on these same models (not thread-safe: call them from one thread)."""
        return HostFaceEngine(options=self.options, shared=self)

    def _reset(self) -> None:
        self._window: Window | None = None
        self._others: list[FaceObservation] = []
        self._next_search = 0.0
        self._misses = 0

    def _landmarks(self, image: FramePixels, window: Window, time: float) -> FaceObservation | None:
        found = self._landmarker.detect(crop_window(image, window, self.options.crop_px), time)
        return _to_frame(found[0], window, self.options.crop_px) if found else None

    def _confirmed(
        self, image: FramePixels, found: list[FaceBox], time: float, known: FaceObservation | None = None
    ) -> list[FaceObservation]:
        """The search hits the landmarker also sees a face in, best-scoring first, at most ``max_candidates``.

        A hit on ``known`` (the host, landmarked in this frame already) is not landmarked again.
        """
        best = sorted(found, key=lambda f: f.score, reverse=True)[: self.options.max_candidates]
        faces: list[FaceObservation] = []
        for hit in best:
            if known is not None and same_face(hit.box, known.box):
                face: FaceObservation | None = known
            else:
                face = self._landmarks(image, Window.around(hit.box, self.options.face_share), time)
            if face is not None and same_face(face.box, hit.box) and not any(_same_face(face, f) for f in faces):
                faces.append(face)
        return sorted(faces, key=_size, reverse=True)

    def _run_search(self, image: FramePixels, time: float, host: FaceObservation | None) -> FaceObservation | None:
        """Search the whole frame; return the host's face if the search chose a (new) one."""
        smallest = _size(host) / 2 if host is not None else None
        faces = self._confirmed(image, self._search.search(image.bgr(), smallest), time, host)
        others = [f for f in faces if host is None or not _same_face(f, host)]
        if host is None or (others and _size(others[0]) > self.options.switch_ratio * _size(host)):
            if not faces:
                self._window, self._others = None, []
                self._misses += 1
                self._next_search = time + min(self.options.max_search_gap, 0.1 * 2 ** (self._misses - 1))
                return None
            host = others[0] if host is not None else faces[0]
            self._window = Window.around(host.box, self.options.face_share)
        self._others = [f for f in faces if not _same_face(f, host)]
        self._misses = 0
        self._next_search = time + self.options.research_interval
        return host

    def _follow(self, face: FaceObservation) -> None:
        """Move the window when the face drifted off its centre or changed size."""
        assert self._window is not None
        b, w = face.box, self._window
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        lo, hi = self.options.share_range
        off = max(abs(cx - w.cx), abs(cy - w.cy)) / w.side
        if off > self.options.drift or not lo <= _size(face) / w.side <= hi:
            self._window = Window.around(b, self.options.face_share)

    def detect(self, image: np.ndarray, time: float) -> list[FaceObservation]:
        return self.detect_pixels(BgrPixels(image), time)

    def detect_pixels(self, image: FramePixels, time: float) -> list[FaceObservation]:
        """As :meth:`detect`; only the window around the face is converted, unless the frame is searched."""
        host = self._landmarks(image, self._window, time) if self._window is not None else None
        if self._window is not None and host is None:
            self._window, self._others = None, []  # lost: search this very frame
            self._next_search = time
        if time + 1e-9 >= self._next_search:
            host = self._run_search(image, time, host)
        if host is None:
            return []
        self._follow(host)
        return [host, *(_box_only(f) for f in self._others if not _same_face(f, host))]

    def close(self) -> None:
        """Release the models (a follower from :meth:`for_stream` leaves them to their owner)."""
        if self._owner:
            self._landmarker.close()
            self._search.close()

    def __enter__(self) -> HostFaceEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
