"""Draw the frames of a synthetic live room: background, host stand-in, shop caption, overlays."""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from monitor.demo.paths import font_path

__all__ = ["VideoOptions", "Scene"]


@dataclass(frozen=True, slots=True)
class VideoOptions:
    """Picture size and rate of generated video."""

    width: int = 640
    height: int = 360
    fps: int = 15


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path()), size)


class Scene:
    """Renders RGB frames; overlays are drawn once per distinct text and reused."""

    def __init__(self, options: VideoOptions, shop: str) -> None:
        self.w, self.h = options.width, options.height
        self._rows = np.linspace(0.0, 1.0, self.h, dtype=np.float32)[:, None]
        self._static = self._draw_static(shop)
        self._overlays: dict[tuple[str, ...], Image.Image] = {}

    def frame(self, t: float, screen: tuple[str, ...], mouth: float) -> np.ndarray:
        """The picture at ``t`` seconds showing ``screen`` lines, mouth open by ``mouth`` in [0, 1]."""
        image = Image.alpha_composite(self._background(t), self._static)
        self._draw_mouth(image, mouth)
        if screen:
            image = Image.alpha_composite(image, self._overlay(screen))
        return np.asarray(image.convert("RGB"))

    def _background(self, t: float) -> Image.Image:
        hue = 0.6 + 0.12 * math.sin(2 * math.pi * t / 120)  # cyan to violet, away from the red banner
        top = np.array(colorsys.hsv_to_rgb(hue, 0.45, 0.85), np.float32)
        bottom = np.array(colorsys.hsv_to_rgb(hue + 0.05, 0.6, 0.45), np.float32)
        column = (top + (bottom - top) * self._rows) * 255
        rgba = np.empty((self.h, self.w, 4), np.uint8)
        rgba[..., :3] = column[:, None, :].astype(np.uint8)
        rgba[..., 3] = 255
        return Image.fromarray(rgba, "RGBA")

    def _draw_static(self, shop: str) -> Image.Image:
        """Host stand-in (head, hair, eyes, body) and the persistent shop caption."""
        layer = Image.new("RGBA", (self.w, self.h), (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        cx, cy, r = self.w / 2, self.h * 0.34, self.h * 0.12
        draw.rounded_rectangle(
            (cx - 2.2 * r, cy + 1.25 * r, cx + 2.2 * r, self.h + r), radius=int(r), fill=(236, 236, 242, 255)
        )
        draw.ellipse((cx - 1.05 * r, cy - 1.15 * r, cx + 1.05 * r, cy + 0.6 * r), fill=(40, 30, 30, 255))
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(245, 210, 180, 255))
        for dx in (-0.4, 0.4):
            ex = cx + dx * r
            draw.ellipse((ex - 0.09 * r, cy - 0.25 * r, ex + 0.09 * r, cy - 0.05 * r), fill=(30, 30, 30, 255))
        size = max(12, self.h // 20)
        pad = size // 3
        box = draw.textbbox((0, 0), shop, font=_font(size))
        draw.rounded_rectangle(
            (pad, pad, pad * 3 + box[2], pad * 3 + box[3]), radius=pad, fill=(0, 0, 0, 140)
        )
        draw.text((pad * 2, pad * 2), shop, font=_font(size), fill=(255, 255, 255, 255))
        return layer

    def _draw_mouth(self, image: Image.Image, mouth: float) -> None:
        cx, cy, r = self.w / 2, self.h * 0.34, self.h * 0.12
        half = 0.03 * r + 0.22 * r * min(1.0, max(0.0, mouth))
        y = cy + 0.45 * r
        ImageDraw.Draw(image).ellipse((cx - 0.3 * r, y - half, cx + 0.3 * r, y + half), fill=(150, 40, 50))

    def _overlay(self, lines: tuple[str, ...]) -> Image.Image:
        """A banner of large yellow-on-red lines in the lower part of the picture."""
        if lines in self._overlays:
            return self._overlays[lines]
        layer = Image.new("RGBA", (self.w, self.h), (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        size = max(16, self.h // 9)
        font = _font(size)
        widths = [draw.textbbox((0, 0), line, font=font)[2] for line in lines]
        line_h = math.ceil(size * 1.3)
        pad = size // 3
        top = self.h - pad * 3 - line_h * len(lines)
        banner_w = max(widths) + 4 * pad
        left = (self.w - banner_w) // 2
        draw.rounded_rectangle(
            (left, top - pad, left + banner_w, self.h - pad), radius=pad, fill=(190, 20, 30, 235)
        )
        for i, (line, width) in enumerate(zip(lines, widths, strict=True)):
            draw.text(((self.w - width) // 2, top + i * line_h), line, font=font, fill=(255, 235, 60, 255))
        self._overlays[lines] = layer
        return layer
