"""The OCR gate re-reads a frame only when its text regions change."""

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from monitor.demo.paths import font_path
from monitor.observations.text_gate import TextChangeGate, TextGateOptions
from monitor.observations.types import TextBox

W, H = 640, 360
CAPTION_BOX = TextBox("全网最低价", (40.0, 30.0, 330.0, 90.0), 0.99)


def _textured_host(draw: ImageDraw.ImageDraw, x: int) -> None:
    """A host in a patterned shirt holding a product with a printed label: strong, dense edges that move."""
    draw.ellipse((x + 30, 120, x + 110, 200), fill=(220, 180, 150))
    for row in range(200, 340, 8):
        for col in range(x, x + 140, 8):
            shade = (200, 40, 40) if (row // 8 + col // 8) % 2 else (250, 250, 250)
            draw.rectangle((col, row, col + 3, row + 3), fill=shade)
    draw.rectangle((x + 20, 250, x + 120, 300), fill=(255, 255, 255))
    draw.text((x + 24, 255), "精华液 30ml", font=ImageFont.truetype(str(font_path()), 18), fill=(0, 0, 0))
    draw.text((x + 24, 277), "SERUM 999", font=ImageFont.truetype(str(font_path()), 16), fill=(0, 0, 0))


def frame(
    caption: str | None = "全网最低价", host_x: int = 400, banner: str | None = None, textured: bool = False
) -> np.ndarray:
    image = Image.new("RGB", (W, H), (40, 60, 90))
    draw = ImageDraw.Draw(image)
    if textured:
        _textured_host(draw, host_x)
    else:
        draw.ellipse((host_x, 150, host_x + 120, 330), fill=(220, 180, 150))  # the "host"
    font = ImageFont.truetype(str(font_path()), 48)
    if caption:
        draw.text((45, 30), caption, font=font, fill=(255, 255, 0))
    if banner:
        draw.text((40, 290), banner, font=ImageFont.truetype(str(font_path()), 32), fill=(255, 255, 255))
    return np.asarray(image)[:, :, ::-1].copy()


@pytest.fixture
def gate() -> TextChangeGate:
    g = TextChangeGate(TextGateOptions(refresh_every=10.0))
    g.remember(frame(), 0.0, (CAPTION_BOX,))
    return g


def test_first_frame_is_always_read() -> None:
    assert TextChangeGate().needs_read(frame(), 0.0)


@pytest.mark.parametrize(
    ("image", "time", "read"),
    [
        (frame(), 1.0, False),  # nothing changed
        (frame(host_x=250), 1.0, False),  # the host moved; the caption did not
        (frame(caption="原价599现价59"), 1.0, True),  # the caption changed
        (frame(caption=None), 1.0, True),  # the caption went away
        (frame(banner="加V信领优惠"), 1.0, True),  # a new banner appeared
        (frame(), 11.0, True),  # refresh interval passed
    ],
)
def test_gate_decisions(gate: TextChangeGate, image: np.ndarray, time: float, read: bool) -> None:
    assert gate.needs_read(image, time) is read


def test_disabled_gate_reads_everything(gate: TextChangeGate) -> None:
    off = TextChangeGate(TextGateOptions(enabled=False))
    off.remember(frame(), 0.0, (CAPTION_BOX,))
    assert off.needs_read(frame(), 0.5)


@pytest.mark.parametrize(
    ("image", "read"),
    [
        (frame(host_x=403, textured=True), False),  # the patterned host swayed a few pixels
        (frame(host_x=396, textured=True), False),
        (frame(host_x=408, textured=True), False),
        (frame(host_x=403, textured=True, caption="原价599现价59"), True),  # the caption changed meanwhile
        (frame(host_x=403, textured=True, banner="加V信领优惠"), True),  # a banner appeared beside the host
    ],
)
def test_a_moving_textured_host_does_not_look_like_new_text(image: np.ndarray, read: bool) -> None:
    gate = TextChangeGate(TextGateOptions(refresh_every=10.0))
    gate.remember(frame(host_x=400, textured=True), 0.0, (CAPTION_BOX,))
    assert gate.needs_read(image, 1.0) is read
