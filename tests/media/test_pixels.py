"""Frame pixels converted where looked at give the very pixels of a whole-frame conversion."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from monitor.media.pixels import BgrPixels, I420Pixels, as_pixels


def _planes(width: int, height: int, seed: int = 0) -> np.ndarray:
    """Random I420 planes: smooth luma (like a picture) and noisy chroma (every sample matters)."""
    rng = np.random.default_rng(seed)
    luma = cv2.GaussianBlur(rng.integers(0, 256, (height, width), dtype=np.uint8), (5, 5), 2)
    chroma = rng.integers(16, 240, (height // 2, width), dtype=np.uint8)
    return np.concatenate([luma, chroma])


@pytest.mark.parametrize(("width", "height"), [(64, 48), (90, 160), (1080, 1920)])
def test_regions_are_cut_from_the_whole_conversion(width: int, height: int) -> None:
    planes = _planes(width, height)
    full = cv2.cvtColor(planes, cv2.COLOR_YUV2BGR_I420)
    pixels = I420Pixels.packed(planes, width, height)
    rng = np.random.default_rng(1)
    for _ in range(100):  # odd and even corners, boxes reaching past the frame
        x0, x1 = sorted(int(v) for v in rng.integers(-10, width + 10, 2))
        y0, y1 = sorted(int(v) for v in rng.integers(-10, height + 10, 2))
        expected = full[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]
        region = pixels.region(x0, y0, x1, y1)
        assert region.shape == expected.shape and np.array_equal(region, expected), (x0, y0, x1, y1)
    for step in (1, 2, 3, 4, 8):
        assert np.array_equal(I420Pixels.packed(planes, width, height).thinned(step), full[::step, ::step]), step
    assert np.array_equal(pixels.bgr(), full) and (pixels.width, pixels.height) == (width, height)


def test_bgr_pixels_and_wrapping() -> None:
    image = np.arange(6 * 8 * 3, dtype=np.uint8).reshape(6, 8, 3)
    pixels = as_pixels(image)
    assert isinstance(pixels, BgrPixels) and as_pixels(pixels) is pixels
    assert np.array_equal(pixels.region(-2, 1, 5, 4), image[1:4, 0:5])
    assert np.array_equal(pixels.thinned(2), image[::2, ::2])


def test_planes_of_the_wrong_shape_are_refused() -> None:
    with pytest.raises(ValueError, match="I420"):
        I420Pixels.packed(np.zeros((48, 64), np.uint8), 64, 48)
    with pytest.raises(ValueError, match="I420"):
        I420Pixels.packed(np.zeros((72, 63), np.uint8), 63, 48)
    with pytest.raises(ValueError, match="I420"):
        I420Pixels(np.zeros((48, 64), np.uint8), np.zeros((24, 32), np.uint8), np.zeros((24, 31), np.uint8))


def test_strided_plane_views_convert_like_packed_planes() -> None:
    """Decoded planes are views with row padding (line size > width): they convert the same."""
    width, height = 90, 64
    planes = _planes(width, height, seed=3)
    packed = I420Pixels.packed(planes, width, height)
    y = np.ascontiguousarray(planes[:height])
    views = I420Pixels(
        np.pad(y, ((0, 0), (0, 22)))[:, :width],
        np.pad(packed._u, ((0, 0), (0, 10)))[:, : width // 2],
        np.pad(packed._v, ((0, 0), (0, 10)))[:, : width // 2],
    )
    assert not views._y.flags.c_contiguous
    assert np.array_equal(views.bgr(), packed.bgr())
    assert np.array_equal(views.region(3, 5, 61, 40), packed.region(3, 5, 61, 40))
    assert np.array_equal(views.thinned(4), packed.thinned(4))
