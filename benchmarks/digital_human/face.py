"""Draw one host frame from the astronaut photo: head pose, mouth opening and eyelids.

All coordinates below are pixels of ``skimage.data.astronaut()`` (512x512), where
MediaPipe puts the face at x 180..270, y 72..177.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

__all__ = ["FACE_CENTER", "FacePose", "astronaut", "draw_face", "posed_astronaut"]

FACE_CENTER = (225.0, 125.0)
EYES = ((204.0, 101.0), (246.0, 104.0))
MOUTH = (223.0, 146.0)
EYE_AXES = (13, 7)
MAX_JAW_PX = 18.0


@dataclass(frozen=True, slots=True)
class FacePose:
    """What one frame shows: head offset (px), roll (deg), scale, mouth opening and eye closure (0..1)."""

    dx: float = 0.0
    dy: float = 0.0
    roll: float = 0.0
    scale: float = 1.0
    mouth: float = 0.0
    eyes_closed: float = 0.0


@lru_cache(maxsize=1)
def astronaut() -> np.ndarray:
    """The RGB astronaut photo of scikit-image (a real, public-domain face)."""
    from skimage import data

    image: np.ndarray = data.astronaut()
    image.setflags(write=False)
    return image


@lru_cache(maxsize=1)
def _jaw_weight() -> np.ndarray:
    """How much each pixel follows the jaw: 1 just below the lips, fading towards chin and cheeks."""
    h, w = astronaut().shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    mx, my = MOUTH
    below = np.clip((ys - (my - 1)) / 4.0, 0.0, 1.0)
    fade = np.exp(-(((xs - mx) / 34.0) ** 2) - (np.maximum(ys - my, 0.0) / 120.0) ** 2)
    return (below * fade).astype(np.float32)


def _open_mouth(image: np.ndarray, opening: float) -> np.ndarray:
    if opening <= 0.02:
        return image
    shift = opening * MAX_JAW_PX
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    map_y = ys - shift * _jaw_weight()
    out = cv2.remap(image, xs, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    mx, my = MOUTH
    centre = (int(mx), int(my + shift / 2))
    cv2.ellipse(out, centre, (int(13 + 3 * opening), max(1, int(shift / 2))), 0, 0, 360, (60, 20, 25), -1)
    return out


def _close_eyes(image: np.ndarray, closure: float) -> np.ndarray:
    if closure <= 0.05:
        return image
    out = image.copy()
    for ex, ey in EYES:
        skin = image[int(ey) - 14 : int(ey) - 9, int(ex) - 6 : int(ex) + 6].reshape(-1, 3).mean(axis=0)
        top = ey - EYE_AXES[1]
        lid = top + 2 * EYE_AXES[1] * closure
        mask = np.zeros(image.shape[:2], np.uint8)
        cv2.ellipse(mask, (int(ex), int(ey)), EYE_AXES, 0, 0, 360, 255, -1)
        mask[int(lid) :, :] = 0
        out[mask > 0] = skin.astype(np.uint8)
        cv2.line(out, (int(ex - EYE_AXES[0]), int(lid)), (int(ex + EYE_AXES[0]), int(lid)), (70, 45, 40), 2)
    return out


def posed_astronaut(pose: FacePose) -> np.ndarray:
    """The astronaut photo with the mouth and eyelids of ``pose`` (not moved)."""
    return _close_eyes(_open_mouth(astronaut(), pose.mouth), pose.eyes_closed)


def draw_face(pose: FacePose, size: tuple[int, int] = (320, 240), face_px: float = 150.0) -> np.ndarray:
    """An RGB ``size`` (w, h) frame with the face ``face_px`` tall, posed as ``pose``."""
    image = posed_astronaut(pose)
    w, h = size
    scale = pose.scale * face_px / 105.0
    matrix = cv2.getRotationMatrix2D(FACE_CENTER, pose.roll, scale)
    matrix[0, 2] += w / 2 + pose.dx - FACE_CENTER[0]
    matrix[1, 2] += h / 2 + pose.dy - FACE_CENTER[1]
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
