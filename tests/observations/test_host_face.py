"""The host's face is found at the sizes and framings live rooms use, and nothing is found in an empty room."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from monitor.observations.face_search import MIN_SHARE, FaceBox, merge_boxes, tile_plan
from monitor.observations.host_face import Window, crop_window

pytest.importorskip("skimage")
from benchmarks.digital_human.face import FacePose  # noqa: E402
from benchmarks.digital_human.framing import FRAMINGS, Framing, face_sizes, room_frame  # noqa: E402


@pytest.mark.parametrize("framing", FRAMINGS, ids=lambda f: f.name)
def test_every_face_lies_whole_in_a_tile_it_fills_enough(framing: Framing):
    w, h = framing.size
    tiles = tile_plan(w, h, 56)
    rng = np.random.default_rng(0)
    for size in np.geomspace(56, min(w, h) * 0.9, 12):
        for _ in range(20):
            x, y = rng.uniform(0, w - size), rng.uniform(0, h - size)
            fits = [
                t for t in tiles
                if t[0] <= x and t[1] <= y and x + size <= t[2] and y + size <= t[3]
                and size / max(t[2] - t[0], t[3] - t[1]) >= MIN_SHARE * 0.99
            ]
            assert fits, f"{size:.0f} px face at ({x:.0f}, {y:.0f}) in {framing.name} is in no tile"


def test_tile_plan_scales_with_the_smallest_face():
    assert len(tile_plan(1080, 1920, 56)) > len(tile_plan(1080, 1920, 150)) > len(tile_plan(1080, 1920, 400))
    assert tile_plan(320, 240, 56) == [(0, 0, 320, 240), (0, 0, 240, 240), (80, 0, 320, 240)]


def test_merge_keeps_one_box_per_face_largest_first():
    a = FaceBox((10, 10, 60, 60), 0.9)
    a_again = FaceBox((12, 11, 61, 62), 0.7)
    inside = FaceBox((20, 20, 45, 45), 0.95)
    b = FaceBox((200, 10, 300, 110), 0.8)
    merged = merge_boxes([a, a_again, inside, b])
    assert [m.box for m in merged] == [b.box, inside.box]


def test_crop_window_pads_outside_the_frame_with_black():
    image = np.full((100, 200, 3), 200, np.uint8)
    crop = crop_window(image, Window(cx=10, cy=50, side=100), 50)
    assert crop.shape == (50, 50, 3)
    assert crop[:, :15].max() == 0 and crop[:, 35:].min() == 200


def _engine():
    pytest.importorskip("mediapipe")
    from monitor.observations.host_face import HostFaceEngine

    return HostFaceEngine()


def _bgr(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgb[:, :, ::-1])


@pytest.mark.parametrize("framing", FRAMINGS, ids=lambda f: f.name)
def test_host_found_from_60_px_to_half_the_frame_width(framing: Framing):
    w, h = framing.size
    for size in (face_sizes(framing)[0], face_sizes(framing)[-1]):
        with _engine() as engine:
            heights = []
            for i in range(4):
                faces = engine.detect(_bgr(room_frame(framing, size, FacePose(dx=3.0 * i))), i / 12)
                assert faces, f"no face found in {framing.name} with a {size} px face, frame {i}"
                x0, y0, x1, y1 = faces[0].box
                heights.append(y1 - y0)
                assert abs((x0 + x1) / 2 - framing.host_at[0] * w) < size / 2
                assert abs((y0 + y1) / 2 - framing.host_at[1] * h) < size / 2
            assert np.median(heights) == pytest.approx(size, rel=0.25)


@pytest.mark.parametrize("framing", FRAMINGS[:2] + FRAMINGS[4:], ids=lambda f: f.name)
def test_empty_room_reports_no_face(framing: Framing):
    with _engine() as engine:
        for i in range(8):
            assert engine.detect(_bgr(room_frame(framing, 0, seed=i % 4, host=False)), i / 12) == []


def test_follows_a_host_walking_across_the_frame_and_finds_them_again_within_a_second():
    framing = FRAMINGS[2]  # landscape 1280x720
    w, h = framing.size
    found = []
    with _engine() as engine:
        for i in range(36):
            t = i / 12
            if 12 <= i < 18:  # the host steps out of the picture
                frame = room_frame(framing, 0, host=False)
            else:
                frame = room_frame(framing, 110, centre=(150 + 25 * i, 0.4 * h))
            faces = engine.detect(_bgr(frame), t)
            found.append(bool(faces))
            if faces and not 12 <= i < 18:
                x0, _, x1, _ = faces[0].box
                assert abs((x0 + x1) / 2 - (150 + 25 * i)) < 40
    assert all(found[:12]) and not any(found[12:18])
    assert all(found[18 + 12 :]), "searches back off to at most one a second while no face is in view"


def test_two_people_in_view_are_counted_and_the_larger_is_the_host():
    framing = FRAMINGS[0]  # vertical 720x1280
    w, h = framing.size
    near = room_frame(framing, 220, centre=(0.35 * w, 0.3 * h))
    far = room_frame(framing, 110, centre=(0.75 * w, 0.7 * h))
    mask = np.zeros(near.shape[:2], bool)
    mask[int(0.55 * h):, int(0.55 * w):] = True
    both = np.where(mask[:, :, None], far, near)
    with _engine() as engine:
        faces = engine.detect(_bgr(both), 0.0)
    assert len(faces) == 2
    host, other = faces
    assert host.box[3] - host.box[1] > 1.5 * (other.box[3] - other.box[1])
    assert not np.isnan(host.blink_left) and np.isnan(other.blink_left)


def test_followers_share_the_models_and_follow_their_own_streams():
    framing = FRAMINGS[0]  # vertical 720x1280
    w, h = framing.size
    left = _bgr(room_frame(framing, 150, centre=(0.3 * w, 0.3 * h)))
    right = _bgr(room_frame(framing, 150, centre=(0.7 * w, 0.6 * h)))
    with _engine() as models:
        a, b = models.for_stream(), models.for_stream()
        for i in range(3):
            (face_a,), (face_b,) = a.detect(left, i / 10), b.detect(right, i / 10)
            assert face_a.box[0] < 0.5 * w < face_b.box[0]  # each follows its own host
        a.close()  # a follower leaves the models to their owner
        assert b.detect(right, 0.3) and models.detect(left, 0.0)


def test_decoded_planes_give_the_same_faces_as_converted_frames():
    """Dense frames keep their I420 planes and convert only the window around the face (and the whole
    frame when it is searched): the track is the one whole-frame conversion gives."""
    from monitor.media.pixels import I420Pixels
    from monitor.media.types import DenseFrame, SampledFrame
    from monitor.observations.faces import FaceOptions, track_faces

    framing = FRAMINGS[1]  # vertical 1080x1920
    w, h = framing.size
    planes = [
        cv2.cvtColor(_bgr(room_frame(framing, 120, FacePose(dx=6.0 * i, roll=2.0 * i))), cv2.COLOR_BGR2YUV_I420)
        for i in range(30)
    ]
    converted = [SampledFrame(i / 12, i, cv2.cvtColor(p, cv2.COLOR_YUV2BGR_I420)) for i, p in enumerate(planes)]
    dense = [DenseFrame(i / 12, i, I420Pixels.packed(p, w, h)) for i, p in enumerate(planes)]
    options = FaceOptions(fps=12.0, crop_interval=1.0)
    with _engine() as engine:
        whole, whole_crops = track_faces(converted, engine, options)
    with _engine() as engine:
        lazy, lazy_crops = track_faces(dense, engine, options)
    assert sum(f.face is not None for f in whole.frames) >= 28
    assert lazy.frames == whole.frames and (lazy.width, lazy.height) == (w, h)
    assert len(lazy_crops) == len(whole_crops) >= 2
    assert all(np.array_equal(a.image, b.image) for a, b in zip(lazy_crops, whole_crops, strict=True))


def test_search_on_two_detectors_finds_what_one_finds():
    pytest.importorskip("mediapipe")
    from monitor.observations.face_search import TiledFaceSearch
    from monitor.observations.faces import face_landmarker_path

    framing = FRAMINGS[1]  # vertical 1080x1920: ~135 tiles for a 56 px face
    w, h = framing.size
    near = room_frame(framing, 200)
    far = room_frame(framing, 90, centre=(0.75 * w, 0.7 * h))
    mask = np.zeros(near.shape[:2], bool)
    mask[int(0.55 * h):, int(0.55 * w):] = True
    image = _bgr(np.where(mask[:, :, None], far, near))
    one = TiledFaceSearch(face_landmarker_path(), workers=1)
    two = TiledFaceSearch(face_landmarker_path(), workers=2)
    try:
        found = one.search(image)
        assert len(found) >= 2 and two.search(image) == found
        assert two.search(image, 150.0) == one.search(image, 150.0)
    finally:
        one.close()
        two.close()
