"""Live-room frames: the host (the astronaut photo) placed in a shop-like room at the sizes and framings
rooms use, over a background with product photos and price tags (a cat photo among them).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from benchmarks.digital_human.face import FACE_CENTER, FacePose, astronaut, posed_astronaut
from monitor.demo.paths import font_path

__all__ = ["FRAMINGS", "Framing", "face_sizes", "framing_named", "room_background", "room_frame"]

FACE_SOURCE_PX = 105.0
"""Height of the astronaut's face in the source photo, as ``draw_face`` measures it."""
POSE_FACE_PX = 150.0
"""Face height at which a pose's offsets (dx, dy) are in frame pixels, as in the close-up clips."""


@dataclass(frozen=True, slots=True)
class Framing:
    """A room's frame size and where its host usually stands (centre of the face, as shares of the frame)."""

    name: str
    size: tuple[int, int]
    host_at: tuple[float, float]
    host_face_px: int
    """A typical host's face height in this framing (the digital-human clips use it)."""

    @property
    def kind(self) -> str:
        w, h = self.size
        return "vertical" if h > w else "landscape"


FRAMINGS: tuple[Framing, ...] = (
    Framing("vertical-720x1280", (720, 1280), (0.5, 0.33), 150),
    Framing("vertical-1080x1920", (1080, 1920), (0.5, 0.33), 200),
    Framing("landscape-1280x720", (1280, 720), (0.42, 0.38), 160),
    Framing("landscape-1920x1080", (1920, 1080), (0.42, 0.38), 240),
    Framing("landscape-640x360", (640, 360), (0.42, 0.38), 80),
)


def framing_named(name: str) -> Framing:
    """The framing called ``name``."""
    for framing in FRAMINGS:
        if framing.name == name:
            return framing
    raise KeyError(f"no framing {name!r}; known: {', '.join(f.name for f in FRAMINGS)}")


def face_sizes(framing: Framing, smallest: int = 60, steps: int = 5) -> list[int]:
    """Face heights from ``smallest`` to half the frame width (or 85% of a landscape frame's height),
    evenly spaced on a log scale."""
    w, h = framing.size
    largest = min(w / 2, 0.85 * h)
    return [int(round(v)) for v in np.geomspace(smallest, largest, steps)]


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path()), size)


@lru_cache(maxsize=1)
def _products() -> tuple[np.ndarray, ...]:
    from skimage import data

    return (data.coffee(), data.chelsea(), data.rocket(), np.dstack([data.coins()] * 3))


@lru_cache(maxsize=8)
def room_background(size: tuple[int, int], seed: int = 0) -> np.ndarray:
    """An RGB room: a lit wall, a shelf of product photos and price tags (deterministic for ``seed``)."""
    w, h = size
    rng = np.random.default_rng(seed)
    top, bottom = rng.integers(150, 230, 3), rng.integers(40, 110, 3)
    ramp = np.linspace(0.0, 1.0, h)[:, None, None]
    frame = (top * (1 - ramp) + bottom * ramp).astype(np.uint8).repeat(w, axis=1)
    unit = min(w, h)
    products = _products()
    for i in range(4):
        photo = products[(i + seed) % len(products)]
        side = int(unit * rng.uniform(0.16, 0.26))
        x = int(rng.uniform(0.02, 0.98) * (w - side))
        y = int(rng.uniform(0.55, 0.95) * (h - side))
        frame[y : y + side, x : x + side] = cv2.resize(photo, (side, side), interpolation=cv2.INTER_AREA)
    image = Image.fromarray(frame)
    draw = ImageDraw.Draw(image)
    font = _font(max(12, unit // 18))
    for i, text in enumerate(("到手价 ¥99", "限时秒杀", "满199减30")):
        x, y = int(w * (0.05 + 0.3 * i)), int(h * 0.05)
        draw.rectangle((x, y, x + unit // 3, y + unit // 12), fill=(200, 30, 30))
        draw.text((x + 4, y + 2), text, font=font, fill=(255, 255, 255))
    frame.setflags(write=False)
    return np.asarray(image)


@lru_cache(maxsize=1)
def _body_mask() -> np.ndarray:
    """Where the astronaut (head and shoulders) is in the source photo, feathered."""
    h, w = astronaut().shape[:2]
    mask = np.zeros((h, w), np.float32)
    cv2.ellipse(mask, (225, 150), (95, 120), 0, 0, 360, 1.0, -1)
    cv2.rectangle(mask, (60, 230), (420, h), 1.0, -1)
    return cv2.GaussianBlur(mask, (0, 0), 6)


def room_frame(
    framing: Framing, face_px: float, pose: FacePose | None = None, centre: tuple[float, float] | None = None,
    seed: int = 0, host: bool = True,
) -> np.ndarray:
    """One RGB frame of ``framing``: the room, and the host's face ``face_px`` tall centred at ``centre``
    (frame pixels; default the framing's host position), posed as ``pose``."""
    background = room_background(framing.size, seed)
    if not host:
        return background.copy()
    pose = pose or FacePose()
    w, h = framing.size
    cx, cy = centre or (framing.host_at[0] * w, framing.host_at[1] * h)
    scale = pose.scale * face_px / FACE_SOURCE_PX
    matrix = cv2.getRotationMatrix2D(FACE_CENTER, pose.roll, scale)
    motion = face_px / POSE_FACE_PX
    matrix[0, 2] += cx + pose.dx * motion - FACE_CENTER[0]
    matrix[1, 2] += cy + pose.dy * motion - FACE_CENTER[1]
    person = cv2.warpAffine(posed_astronaut(pose), matrix, (w, h), flags=cv2.INTER_LINEAR)
    alpha = cv2.warpAffine(_body_mask(), matrix, (w, h), flags=cv2.INTER_LINEAR)[:, :, None]
    return (person * alpha + background * (1.0 - alpha)).astype(np.uint8)
