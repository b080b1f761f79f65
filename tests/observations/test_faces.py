"""Face observations: the frame loop with a fake engine, and one real MediaPipe run on a generated clip."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.media.types import SampledFrame
from monitor.observations.faces import (
    FaceFrame,
    FaceObservation,
    FaceOptions,
    FaceTrack,
    crop_hash,
    track_faces,
)


class FakeFaceEngine:
    """Returns the faces scripted per frame index."""

    name = "fake"

    def __init__(self, script: list[list[FaceObservation]]) -> None:
        self.script = script
        self.calls = 0

    def detect(self, image: np.ndarray, time: float) -> list[FaceObservation]:
        self.calls += 1
        return self.script[self.calls - 1]


def face(x0: float, size: float, jaw: float = 0.0) -> FaceObservation:
    return FaceObservation((x0, 20.0, x0 + size, 20.0 + size), 0.1, 0.1, jaw)


def frames(n: int, fps: float = 10.0) -> list[SampledFrame]:
    rng = np.random.default_rng(0)
    return [SampledFrame(i / fps, i, rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)) for i in range(n)]


def test_keeps_the_main_face_the_engine_lists_first_and_counts_faces():
    engine = FakeFaceEngine([[face(60, 80, jaw=0.4), face(10, 30)], [], [face(5, 50)]])
    track, _ = track_faces(frames(3), engine, FaceOptions(fps=10.0))
    assert [f.n_faces for f in track.frames] == [2, 0, 1]
    assert track.frames[0].face is not None and track.frames[0].face.jaw_open == 0.4
    assert track.frames[1].face is None and track.frames[1].phash == 0
    assert np.isnan(track.series("jaw_open")[1]) and track.boxes().shape == (3, 4)
    assert (track.width, track.height, track.fps, track.engine) == (160, 120, 10.0, "fake")


@pytest.mark.parametrize(("interval", "expected"), [(None, 0), (0.25, 4), (10.0, 1)])
def test_crop_interval(interval, expected):
    engine = FakeFaceEngine([[face(20, 60)]] * 10)
    _, crops = track_faces(frames(10), engine, FaceOptions(fps=10.0, crop_interval=interval, crop_size=48))
    assert len(crops) == expected
    assert all(c.image.shape == (48, 48, 3) for c in crops)


def test_crop_hash_tells_pictures_apart():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
    b = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
    box = (20.0, 20.0, 100.0, 100.0)
    assert crop_hash(a, box) == crop_hash(a.copy(), box)
    assert bin(crop_hash(a, box) ^ crop_hash(b, box)).count("1") > 10
    assert crop_hash(a, (500.0, 500.0, 600.0, 600.0)) == 0


def test_track_must_be_sorted():
    with pytest.raises(ValueError, match="sorted"):
        FaceTrack((FaceFrame(1.0, 0, 100.0), FaceFrame(0.5, 0, 100.0)), 10, 10, 10.0)


def test_mediapipe_on_a_generated_clip():
    pytest.importorskip("mediapipe")
    pytest.importorskip("skimage")
    from benchmarks.digital_human.generate import clip_path
    from benchmarks.digital_human.scenario import Scenario, timeline
    from monitor.observations.faces import MediaPipeFaceEngine, observe_faces
    from monitor.sources.open import open_source

    scenario = Scenario("avatar", "no_label", 0, seconds=5.0)
    with open_source(str(clip_path(scenario))) as container, MediaPipeFaceEngine() as engine:
        result = observe_faces(container, engine, FaceOptions(fps=12.0, with_audio=True))
    track = result.track
    assert len(track.frames) == 60 and result.audio.duration == pytest.approx(5.0, abs=0.1)
    assert sum(f.face is not None for f in track.frames) >= 57
    drawn = timeline(scenario).poses
    blink = (track.series("blink_left") + track.series("blink_right")) / 2
    closed = np.array([p.eyes_closed > 0.9 for p in drawn])
    open_ = np.array([p.eyes_closed == 0.0 for p in drawn])
    assert np.nanmin(blink[closed]) > np.nanmax(blink[open_])
    mouth = np.array([p.mouth for p in drawn])
    assert np.corrcoef(np.nan_to_num(track.series("jaw_open")), mouth)[0, 1] > 0.7
