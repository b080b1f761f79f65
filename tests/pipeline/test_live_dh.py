"""A watched room's face windows (``RoomDigitalHuman``): windows cut as the decoder's dense windows, the voice of the
same span as ``scan`` measures it, face models shared by rooms, and a bounded backlog of frames."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import numpy as np

from monitor.config import ScanOptions
from monitor.detectors.digital_human import DigitalHumanResult, LiveDigitalHuman
from monitor.findings import Finding
from monitor.media.types import AudioPCM, SampledFrame
from monitor.observations.faces import FaceObservation, FaceOptions
from monitor.observations.voice import VoiceFeatures
from monitor.pipeline.live_dh import RoomDigitalHuman, RoomHooks, face_phase
from monitor.scheduling import BatchScheduler, SchedulerOptions
from monitor.scheduling.workers import FaceWindows

FPS = 10.0


class FakeFaces:
    """One face engine per follower; ``gate`` (when given) holds every call until it is set."""

    made: list[FakeFaces] = []

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.name, self.gate, self.calls, self.closed = "fake", gate, 0, False
        FakeFaces.made.append(self)

    def detect(self, image: np.ndarray, time: float) -> list[FaceObservation]:
        if self.gate is not None:
            self.gate.wait(30)
        self.calls += 1
        return [FaceObservation((100, 50, 180, 150), 0.05, 0.05, 0.1)]

    def close(self) -> None:
        self.closed = True


class Room:
    """Hooks that record what the room's checks did."""

    def __init__(self) -> None:
        self.found: list[Finding] = []
        self.shown: list[DigitalHumanResult] = []
        self.out = 0
        self.most_out = 0
        self.lock = threading.Lock()

    def begin(self) -> Out:
        with self.lock:
            self.out += 1
            self.most_out = max(self.most_out, self.out)
        return Out(self)

    def end(self) -> None:
        with self.lock:
            self.out -= 1

    def hooks(self) -> RoomHooks:
        return RoomHooks(emit=self.found.extend, snapshots=lambda: [], begin=self.begin,
                         warn=lambda w: None, show=self.shown.append)


class Out:
    """One piece of the room's work that is out: its result is taken at once, then it is over."""

    def __init__(self, room: Room) -> None:
        self.room = room

    def done(self, then: Callable[[], object] | None = None) -> None:
        try:
            if then is not None:
                then()
        finally:
            self.room.end()


def _scheduler(gate: threading.Event | None = None) -> BatchScheduler:
    return BatchScheduler(FaceWindows(lambda: FakeFaces(gate), FaceOptions(fps=FPS)), SchedulerOptions(4, 0.01))


def _frame(t: float, reason: str = "dense") -> SampledFrame:
    return SampledFrame(t, int(t * FPS), np.full((240, 320, 3), 120, np.uint8), reason)  # type: ignore[arg-type]


def _tone(start: float, seconds: float) -> AudioPCM:
    t = np.arange(int(seconds * 16_000)) / 16_000 + start
    return AudioPCM((0.3 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 2 * t) > 0)).astype(np.float32),
                    start=start)


def _play(room: RoomDigitalHuman, seconds: float, chunks: Sequence[AudioPCM] = ()) -> None:
    """Items in stream order: audio chunks, dense frames at 10 fps inside the windows, a sampled frame a second."""
    items: list[tuple[float, AudioPCM | SampledFrame]] = [(c.start, c) for c in chunks]
    items += [(i / FPS, _frame(i / FPS)) for i in range(int(seconds * FPS)) if (i / FPS) % 20.0 < 5.0]
    items += [(float(s), _frame(float(s), "interval")) for s in range(int(seconds))]
    for t, item in sorted(items, key=lambda x: x[0]):
        room.observe(t, item, voice=True)


def test_each_face_window_is_judged_with_the_voice_of_its_span() -> None:
    faces, room = _scheduler(), Room()
    options = ScanOptions(face_window=5.0, face_period=20.0)
    checks = RoomDigitalHuman(0, LiveDigitalHuman(screen=False), room.hooks(), options, faces=faces)
    chunks = [_tone(s * 0.5, 0.5) for s in range(90)]  # 45 s of sound in half-second chunks
    windows: list[tuple[float, float, VoiceFeatures | None, int]] = []
    original = checks.detector.window

    def window(track, voice=None, extra=(), *, start, end, snapshots=()):  # type: ignore[no-untyped-def]
        windows.append((start, end, voice, len(track.frames)))
        return original(track, voice, extra, start=start, end=end, snapshots=snapshots)

    checks.detector.window = window  # type: ignore[method-assign]
    _play(checks, 45.0, chunks)
    checks.close_window()
    faces.shutdown(wait=True)
    assert [(w[0], w[1], w[3]) for w in windows] == [(0.0, 5.0, 50), (20.0, 25.0, 50), (40.0, 44.9, 50)]
    for start, end, voice, _ in windows:
        inside = [c for c in chunks if start <= c.start < end]
        expected = VoiceFeatures.from_audio(AudioPCM(np.concatenate([c.samples for c in inside]), start=start))
        assert voice == expected  # what scan measures of the same audio
    assert len(room.shown) == 3 and room.shown[-1].view.face_px == 100.0
    assert room.out == 0


def test_rooms_share_the_models_and_keep_their_own_tracks() -> None:
    faces = _scheduler()
    options = ScanOptions(face_window=5.0, face_period=20.0)
    rooms = [Room(), Room()]
    checks = [RoomDigitalHuman(i, LiveDigitalHuman(screen=False), r.hooks(), options, faces=faces)
              for i, r in enumerate(rooms)]
    FakeFaces.made.clear()
    readers = [threading.Thread(target=_play, args=(c, seconds)) for c, seconds in zip(checks, (3.0, 2.0), strict=True)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(30)
    for c in checks:
        c.close_window()
    faces.shutdown(wait=True)
    assert [r.shown[-1].judgement.reason for r in rooms] == [
        "only 3.0 s of face in view; need 6 s", "only 2.0 s of face in view; need 6 s"]
    assert sorted(f.calls for f in FakeFaces.made) == [20, 30] and all(f.closed for f in FakeFaces.made)


def test_a_slow_face_pass_holds_the_reader_back() -> None:
    gate = threading.Event()
    faces, room = _scheduler(gate), Room()
    options = ScanOptions(face_window=5.0, face_period=20.0)
    checks = RoomDigitalHuman(0, LiveDigitalHuman(screen=False), room.hooks(), options, faces=faces, backlog=6)
    reader = threading.Thread(target=_play, args=(checks, 4.0))
    reader.start()
    deadline = time.monotonic() + 30
    while room.out < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    reader.join(0.3)
    assert reader.is_alive() and room.out == 6  # 40 frames to send, 6 may wait: the reader waits for the models
    gate.set()
    reader.join(30)
    checks.close_window()
    faces.shutdown(wait=True)
    assert not reader.is_alive() and room.most_out <= 7 and room.out == 0  # 6 frames and the window's end
    assert room.shown[-1].judgement.reason and len(FakeFaces.made) >= 1


class Flaky(FakeFaces):
    """Fails on every third frame it is given."""

    def detect(self, image: np.ndarray, time: float) -> list[FaceObservation]:
        if self.calls % 3 == 2:
            self.calls += 1
            raise RuntimeError("bad frame")
        return super().detect(image, time)


def test_a_frame_the_face_engine_fails_on_is_left_out_and_told_and_other_rooms_go_on() -> None:
    engines = iter([Flaky(), FakeFaces()])
    faces = BatchScheduler(FaceWindows(lambda: next(engines), FaceOptions(fps=FPS)), SchedulerOptions(8, 0.01))
    options = ScanOptions(face_window=5.0, face_period=20.0)
    rooms = [Room(), Room()]
    warnings: list[str] = []
    hooks = [rooms[0].hooks(), rooms[1].hooks()]
    hooks[0] = RoomHooks(emit=hooks[0].emit, snapshots=hooks[0].snapshots, begin=hooks[0].begin,
                         warn=warnings.append, show=hooks[0].show)
    checks = [RoomDigitalHuman(i, LiveDigitalHuman(screen=False), h, options, faces=faces) for i, h in enumerate(hooks)]
    _play(checks[0], 3.0)  # room 0 takes the flaky engine: 10 of its 30 frames fail
    _play(checks[1], 3.0)
    for c in checks:
        c.close_window()
    faces.shutdown(wait=True)
    assert warnings == ["face analysis failed on 10 frame(s) of the window at 0s: RuntimeError: bad frame"]
    assert [r.shown[-1].judgement.reason for r in rooms] == [
        "only 2.0 s of face in view; need 6 s", "only 3.0 s of face in view; need 6 s"]


def test_live_rooms_that_start_together_take_the_face_models_in_turn() -> None:
    """Four rooms connected at the same moment: each one's face window follows the previous room's."""
    faces = _scheduler()
    options = ScanOptions(face_window=5.0, face_period=20.0)
    rooms = [Room() for _ in range(4)]
    checks = [RoomDigitalHuman(i, LiveDigitalHuman(screen=False), r.hooks(), options, faces=faces)
              for i, r in enumerate(rooms)]
    windows: list[list[tuple[float, float]]] = [[] for _ in checks]
    for check, seen in zip(checks, windows, strict=True):
        check.phase = face_phase(check.index, options)
        original = check.detector.window

        def window(track, voice=None, extra=(), *, start, end, snapshots=(), _seen=seen, _original=original):  # type: ignore[no-untyped-def]
            _seen.append((start, end))
            return _original(track, voice, extra, start=start, end=end, snapshots=snapshots)

        check.detector.window = window  # type: ignore[method-assign]
    for i in range(int(40 * FPS)):  # the decoder's dense frames, every room from the same moment
        for check in checks:
            check.observe(i / FPS, _frame(i / FPS), voice=False)
    for check in checks:
        check.close_window()
    faces.shutdown(wait=True)
    assert windows == [[(0.0, 5.0), (20.0, 25.0)], [(5.0, 10.0), (25.0, 30.0)], [(10.0, 15.0), (30.0, 35.0)],
                       [(15.0, 20.0), (35.0, 39.9)]]
    assert all(len(r.shown) == 2 for r in rooms)
    assert face_phase(4, options) == 0.0, "a fifth room takes the first room's turn"
