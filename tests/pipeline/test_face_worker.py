"""Faces tracked on their own thread give the track of the same frames tracked in line, and failures surface."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from monitor.media.types import SampledFrame
from monitor.observations.faces import FaceObservation, FaceOptions, FaceTracker, track_faces
from monitor.pipeline.face_worker import FaceWorker


class RecordingEngine:
    """Finds one face whose size grows with the frame; records the times it was called with."""

    name = "recording"

    def __init__(self, fail_at: int | None = None, gate: threading.Event | None = None) -> None:
        self.times: list[float] = []
        self.fail_at, self.gate = fail_at, gate
        self.threads: set[str] = set()

    def detect(self, image: np.ndarray, time: float) -> list[FaceObservation]:
        if self.gate is not None:
            self.gate.wait()
        self.threads.add(threading.current_thread().name)
        if self.fail_at is not None and len(self.times) == self.fail_at:
            raise RuntimeError("model crashed")
        self.times.append(time)
        size = 20.0 + len(self.times)
        return [FaceObservation((10.0, 10.0, 10.0 + size, 10.0 + size), 0.1, 0.2, 0.3)]

    def close(self) -> None:
        pass


def _frames(n: int) -> list[SampledFrame]:
    rng = np.random.default_rng(0)
    return [SampledFrame(i / 10, i, rng.integers(0, 255, (90, 120, 3), dtype=np.uint8)) for i in range(n)]


def test_worker_track_equals_the_in_line_track() -> None:
    options = FaceOptions(fps=10.0, crop_interval=0.5)
    expected, expected_crops = track_faces(_frames(40), RecordingEngine(), options)
    engine = RecordingEngine()
    worker = FaceWorker(FaceTracker(engine, options), depth=3)
    for frame in _frames(40):
        worker.add(frame)
    track, crops = worker.finish()
    worker.close()
    assert engine.times == [f.time for f in _frames(40)]
    assert engine.threads == {"livemon-faces"}
    assert track == expected and len(crops) == len(expected_crops) == 8
    assert all(np.array_equal(a.image, b.image) for a, b in zip(crops, expected_crops, strict=True))


def test_a_failing_engine_fails_the_pass() -> None:
    worker = FaceWorker(FaceTracker(RecordingEngine(fail_at=5)), depth=2)
    with pytest.raises(RuntimeError, match="model crashed"):
        for frame in _frames(50):
            worker.add(frame)
        worker.finish()
    worker.close()
    assert not worker._thread.is_alive()


def test_close_stops_a_busy_worker_without_the_queued_frames() -> None:
    gate = threading.Event()
    engine = RecordingEngine(gate=gate)
    worker = FaceWorker(FaceTracker(engine), depth=4)
    for frame in _frames(4):  # the worker may hold the first, blocked in the engine; the others wait
        worker.add(frame)
    closing = threading.Thread(target=worker.close)
    closing.start()
    assert worker._stop.wait(timeout=30)
    gate.set()
    closing.join(timeout=30)
    assert not closing.is_alive() and not worker._thread.is_alive()
    assert engine.times in ([], [0.0])  # at most the frame it was working on
