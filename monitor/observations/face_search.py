"""Find faces of any size anywhere in a frame: a short-range face detector run on a pyramid of square tiles.

The face detector shipped inside ``face_landmarker.task`` (BlazeFace short range)
shrinks its input to 128x128, so it finds faces that fill about 20-90% of the
picture it is given. A live room's host often fills far less of a vertical or
landscape frame. :func:`tile_plan` lays square tiles at a few scales so that any
face between ``min_face`` pixels and the frame's size fills 20-45% of some tile
that holds it whole; :class:`TiledFaceSearch` runs the detector on each tile
and merges what the tiles saw.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

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

    def __init__(self, task_path: Path, min_face: float = 56.0, min_score: float = 0.6) -> None:
        mp, BaseOptions, vision = mediapipe_modules()
        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_buffer=_detector_model(task_path)),
            running_mode=vision.RunningMode.IMAGE,
            min_detection_confidence=min_score,
        )
        what = f"the face detector of {task_path}"
        self._detector = create_task(vision.FaceDetector.create_from_options, options, what)
        self._mp = mp
        self.min_face = min_face

    def _detect_tile(self, image: np.ndarray, tile: Tile) -> list[FaceBox]:
        x0, y0, x1, y1 = tile
        rgb = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2RGB)
        result = self._detector.detect(self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb))
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
        found: list[FaceBox] = []
        for tile in tile_plan(width, height, smallest):
            found.extend(f for f in self._detect_tile(image, tile) if f.size >= 0.8 * smallest)
        return merge_boxes(found)

    def close(self) -> None:
        with native_stderr_muted():
            self._detector.close()
