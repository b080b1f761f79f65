"""Find faces of any size anywhere in a frame: a short-range face detector run on a pyramid of square tiles.

The face detector shipped inside ``face_landmarker.task`` (BlazeFace short range)
shrinks its input to 128x128, so it finds faces that fill about 20-90% of the
picture it is given. A live room's host often fills far less of a vertical or
landscape frame. :func:`tile_plan` lays square tiles at a few scales so that any
face between ``min_face`` pixels and the frame's size fills 20-45% of some tile
that holds it whole; :class:`TiledFaceSearch` runs the detector on each tile
and merges what the tiles saw. The tiles are shared between two detectors on two
threads (a search is ~30 tiles, a quarter of the face pass's time, which otherwise
ran on one core while the other waited); the result is the one a single detector gives.
"""

from __future__ import annotations

import math
import os
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from monitor.errors import ModelError
from monitor.observations.faces import create_task, mediapipe_modules, native_stderr_muted

__all__ = ["FaceBox", "TiledFaceSearch", "Tile", "merge_boxes", "same_face", "tile_plan"]

Box = tuple[float, float, float, float]
Tile = tuple[int, int, int, int]
"""x0, y0, x1, y1 of a tile in frame pixels."""

MIN_SHARE = 0.22
"""Smallest share of a tile a face may fill and still be found reliably."""
MAX_STEP = 2.0
"""Largest ratio between the tile sizes of two neighbouring scales."""


@dataclass(frozen=True, slots=True)
class FaceBox:
    """A face found by the detector: its box in frame pixels and the detector's score."""

    box: Box
    score: float

    @property
    def size(self) -> float:
        return max(self.box[2] - self.box[0], self.box[3] - self.box[1])


def _positions(length: int, side: int, stride: float) -> list[int]:
    if side >= length:
        return [0]
    count = math.ceil((length - side) / stride) + 1
    return [round(i * (length - side) / (count - 1)) for i in range(count)]


def _sides(short: int, min_face: float) -> list[int]:
    """Tile sides from the frame's short side down to the tile in which ``min_face`` fills ``MIN_SHARE``."""
    smallest = min_face / MIN_SHARE
    if short <= smallest:
        return [short]
    steps = math.ceil(math.log(short / smallest) / math.log(MAX_STEP))
    ratio = (short / smallest) ** (1 / steps)
    return [round(short / ratio**k) for k in range(steps + 1)]


def tile_plan(width: int, height: int, min_face: float) -> list[Tile]:
    """Tiles, coarse to fine: the whole frame, then square tiles at each scale.

    At each scale neighbouring tiles overlap by more than the largest face that
    scale is meant to find, so such a face lies whole inside one tile.
    """
    tiles: list[Tile] = [(0, 0, width, height)]
    sides = _sides(min(width, height), min_face)
    ratio = sides[0] / sides[1] if len(sides) > 1 else MAX_STEP
    largest_share = min(0.5, MIN_SHARE * ratio * 1.1)
    for side in sides:
        stride = side * (1.0 - largest_share)
        for y in _positions(height, side, stride):
            for x in _positions(width, side, stride):
                tile = (x, y, x + side, y + side)
                if tile != tiles[0]:
                    tiles.append(tile)
    return tiles


def _iou(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _covers(big: Box, small: Box) -> float:
    """Share of ``small`` that lies inside ``big``."""
    w = min(big[2], small[2]) - max(big[0], small[0])
    h = min(big[3], small[3]) - max(big[1], small[1])
    area = (small[2] - small[0]) * (small[3] - small[1])
    return w * h / area if w > 0 and h > 0 and area > 0 else 0.0


def same_face(a: Box, b: Box, overlap: float = 0.3) -> bool:
    """Two boxes of one face: they overlap (IoU) or one lies mostly inside the other."""
    return _iou(a, b) >= overlap or _covers(a, b) >= 0.6 or _covers(b, a) >= 0.6


def merge_boxes(boxes: Sequence[FaceBox], overlap: float = 0.3) -> list[FaceBox]:
    """One box per face (see :func:`same_face`): the best-scoring one, largest face first."""
    kept: list[FaceBox] = []
    for face in sorted(boxes, key=lambda f: (f.score, f.size), reverse=True):
        if not any(same_face(face.box, k.box, overlap) for k in kept):
            kept.append(face)
    return sorted(kept, key=lambda f: f.size, reverse=True)


def _detector_model(task_path: Path) -> bytes:
    """The face detector inside a ``face_landmarker.task`` bundle."""
    try:
        with zipfile.ZipFile(task_path) as bundle:
            return bundle.read("face_detector.tflite")
    except (OSError, KeyError, zipfile.BadZipFile) as e:
        raise ModelError(f"no face detector in {task_path}: {e}") from e


class TiledFaceSearch:
    """MediaPipe's BlazeFace (from the landmarker bundle) over :func:`tile_plan` tiles, on CPU."""

    def __init__(self, task_path: Path, min_face: float = 56.0, min_score: float = 0.6, workers: int = 2) -> None:
        mp, BaseOptions, vision = mediapipe_modules()
        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_buffer=_detector_model(task_path)),
            running_mode=vision.RunningMode.IMAGE,
            min_detection_confidence=min_score,
        )
        what = f"the face detector of {task_path}"
        self._detectors: list[Any] = []
        self._pool: ThreadPoolExecutor | None = None
        try:
            for _ in range(max(1, min(workers, os.cpu_count() or 1))):
                self._detectors.append(create_task(vision.FaceDetector.create_from_options, options, what))
        except Exception:
            self.close()
            raise
        self._pool = (
            ThreadPoolExecutor(len(self._detectors) - 1, thread_name_prefix="livemon-face-search")
            if len(self._detectors) > 1 else None
        )
        self._mp = mp
        self.min_face = min_face

    def _detect_tiles(self, detector: Any, image: np.ndarray, tiles: list[Tile]) -> list[list[FaceBox]]:
        return [self._detect_tile(image, tile, detector) for tile in tiles]

    def _detect_tile(self, image: np.ndarray, tile: Tile, detector: Any = None) -> list[FaceBox]:
        x0, y0, x1, y1 = tile
        rgb = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2RGB)
        detector = detector if detector is not None else self._detectors[0]
        result = detector.detect(self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb))
        found = []
        for d in result.detections:
            b = d.bounding_box
            box = (x0 + b.origin_x, y0 + b.origin_y, x0 + b.origin_x + b.width, y0 + b.origin_y + b.height)
            clipped = (max(box[0], x0), max(box[1], y0), min(box[2], x1), min(box[3], y1))
            if clipped[2] - clipped[0] > 0.8 * b.width and clipped[3] - clipped[1] > 0.8 * b.height:
                found.append(FaceBox(tuple(float(v) for v in box), float(d.categories[0].score)))  # type: ignore[arg-type]
        return found

    def search(self, image: np.ndarray, min_face: float | None = None) -> list[FaceBox]:
        """Faces at least ``min_face`` pixels (default: the search's own) in a BGR frame, largest first."""
        height, width = image.shape[:2]
        smallest = max(self.min_face, min_face or 0.0)
        tiles = tile_plan(width, height, smallest)
        n = len(self._detectors)
        if self._pool is None or len(tiles) < 2 * n:
            per_tile = self._detect_tiles(self._detectors[0], image, tiles)
        else:  # every n-th tile on each detector (one per thread), put back in tile order
            pool, rest = self._pool, enumerate(self._detectors[1:], 1)
            others = [pool.submit(self._detect_tiles, d, image, tiles[k::n]) for k, d in rest]
            parts = [self._detect_tiles(self._detectors[0], image, tiles[0::n]), *(f.result() for f in others)]
            per_tile = [parts[i % n][i // n] for i in range(len(tiles))]
        found = [f for faces in per_tile for f in faces if f.size >= 0.8 * smallest]
        return merge_boxes(found)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        with native_stderr_muted():
            for detector in self._detectors:
                detector.close()
