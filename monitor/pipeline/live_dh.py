"""A watched room's digital-human checks: its face windows, their voice, and the detector they feed.

The room's reader opens a face window at its first item inside one (the ``face_window`` seconds
from ``phase`` into every ``face_period`` of a connection, where the decoder yields dense frames at
``face_fps``; :func:`face_phase` staggers live rooms watched together), feeds the window's audio
to a :class:`VoiceFeaturesBuilder` (when speech is checked, as in ``scan``) and sends its dense
frames to the face scheduler that every room shares (one set of face models, one thread). The
first item past the window, or the end of the connection, closes it: the scheduler hands back the
window's :class:`FaceTrack` and the room's :class:`LiveDigitalHuman` judges it. OCR'd frames and
transcripts reach the same detector from the OCR and ASR workers; a lock serialises them.

A room's dense frames waiting for the face models are bounded (``backlog``): a reader that gets
that far ahead waits, so a slow face pass delays the room instead of filling memory. Each frame and
window is one piece of the room's :class:`Work`; a window's judgement runs in the room's order (after
the work of the connections before its own), as the room's other checks do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol

from monitor.config import ScanOptions
from monitor.detectors.digital_human import (
    DigitalHumanResult,
    ForgeryModel,
    LiveDigitalHuman,
    Signal,
    forgery_signal,
    score_crops,
)
from monitor.findings import Finding
from monitor.media.types import AudioPCM, DenseFrame, MediaInfo, SampledFrame
from monitor.observations.faces import FaceTrack
from monitor.observations.types import ForgeryScores, FrameText, TranscriptSegment
from monitor.observations.voice import VoiceFeaturesBuilder
from monitor.scheduling import BatchScheduler, SchedulerClosed
from monitor.scheduling.workers import FaceWindow, WindowEnd

__all__ = ["RoomDigitalHuman", "RoomHooks", "Work", "face_phase"]

Snapshots = Sequence[tuple[float, str]]


class Work(Protocol):
    """One piece of a room's work that is out (its connection waits for it before closing)."""

    def done(self, then: Callable[[], object] | None = None) -> None:
        """The work is over: run ``then`` in the room's order first (see :mod:`monitor.pipeline.watch`)."""
        ...


def face_phase(index: int, options: ScanOptions) -> float:
    """Seconds into each face period at which the ``index``-th room's face windows begin: each room's windows
    follow the previous room's, so rooms that start together take the shared face models in turn (up to
    ``face_period / face_window`` rooms never overlap), and none waits longer than its turn."""
    turns = max(1, int(options.face_period // options.face_window))
    return (index % turns) * options.face_window


@dataclass(frozen=True, slots=True)
class RoomHooks:
    """What the room lends its digital-human checks: where findings go, its snapshots, its work count."""

    emit: Callable[[Sequence[Finding]], None]
    snapshots: Callable[[], Snapshots]
    begin: Callable[[], Work]
    """One more piece of the room's work is out."""
    warn: Callable[[str], None]
    show: Callable[[DigitalHumanResult], None]
    """The newest judgement, for the live table."""
    keep: Callable[[FaceTrack, ForgeryScores | None], None] = lambda track, scores: None
    """Each judged window's face track and crop scores, in the room's order (for its stored record)."""


class RoomDigitalHuman:
    """One room's face windows and its :class:`LiveDigitalHuman`, between its reader and the shared workers."""

    def __init__(
        self,
        index: int,
        detector: LiveDigitalHuman,
        hooks: RoomHooks,
        options: ScanOptions,
        *,
        faces: BatchScheduler[tuple[int, SampledFrame | DenseFrame | WindowEnd], FaceWindow | None] | None = None,
        forgery: ForgeryModel | None = None,
        backlog: int = 20,
    ) -> None:
        self.index, self.detector, self.hooks, self.faces, self.forgery = index, detector, hooks, faces, forgery
        self.period, self.window_s = options.face_period, options.face_window
        self.phase = 0.0
        """Seconds into each period at which the connection's windows begin (as its decoder's dense windows)."""
        self._lock = threading.Lock()
        self._slots = threading.Semaphore(max(1, backlog))
        self._start: float | None = None
        """Room time at which the open face window began (``None``: no window is open)."""
        self._voice: VoiceFeaturesBuilder | None = None
        self._last = 0.0

    # ---- the room's reader thread

    def connected(self, info: MediaInfo) -> None:
        self._call(lambda snapshots: self.detector.connected(info, snapshots))

    def observe(self, connection_time: float, item: AudioPCM | SampledFrame | DenseFrame, *, voice: bool) -> None:
        """One decoded item (already on the room's clock; ``connection_time`` is its time on the connection's)."""
        if self.faces is None:
            return
        at = item.start if isinstance(item, AudioPCM) else item.time
        self._last = max(self._last, at)
        inside = (connection_time - self.phase) % self.period < self.window_s
        if self._start is not None and not inside:
            self.close_window(at)
        if inside and self._start is None:
            self._start = at
            self._voice = VoiceFeaturesBuilder() if voice else None
        if self._start is None:
            return
        if isinstance(item, AudioPCM):
            if self._voice is not None:
                self._voice.feed(item)
        elif item.reason == "dense":
            self._submit(item)

    def close_window(self, end: float | None = None) -> None:
        """End the open face window at ``end`` (default: the newest item read); it is judged once its frames are."""
        if self.faces is None or self._start is None:
            return
        voice = self._voice.result() if self._voice is not None else None
        closing = WindowEnd(self._start, self._last if end is None else end, voice)
        self._start, self._voice = None, None
        work = self.hooks.begin()
        try:
            self.faces.submit(self.index, (self.index, closing)).add_done_callback(
                lambda future: work.done(lambda: self._judged(future)))
        except SchedulerClosed:
            work.done()

    def _submit(self, frame: SampledFrame | DenseFrame) -> None:
        assert self.faces is not None
        self._slots.acquire()  # at most ``backlog`` frames wait: a reader that far ahead waits for the face models
        work = self.hooks.begin()
        try:
            self.faces.submit(self.index, (self.index, frame)).add_done_callback(
                lambda future: self._analysed(future, work))
        except SchedulerClosed:
            self._slots.release()
            work.done()

    # ---- the workers

    def _analysed(self, future: Future[FaceWindow | None], work: Work) -> None:
        self._slots.release()  # at once: the reader may be waiting for a slot
        work.done(lambda: self._failed("face analysis", future))

    def _judged(self, future: Future[FaceWindow | None]) -> None:
        if self._failed("face analysis", future) or (window := future.result()) is None:
            return
        if window.failed:
            self.hooks.warn(f"face analysis failed on {window.failed} frame(s) of the window at "
                            f"{window.end.start:.0f}s: {window.error}")
        scores = score_crops(self.forgery, window.crops) if self.forgery is not None and window.crops else None
        extra: tuple[Signal, ...] = (forgery_signal(scores),) if scores is not None else ()
        self.hooks.keep(window.track, scores)
        self._call(lambda snapshots: self.detector.window(
            window.track, window.end.voice, extra, start=window.end.start, end=window.end.end,
            snapshots=snapshots,
        ), show=True)

    def screen(self, text: FrameText) -> None:
        """An OCR'd frame (from the OCR worker)."""
        self._call(lambda snapshots: self.detector.screen(text, snapshots))

    def speech(self, segments: Sequence[TranscriptSegment]) -> None:
        """An utterance's transcript (from the ASR worker)."""
        self._call(lambda snapshots: self.detector.speech(segments, snapshots))

    def stop(self, *, over: bool) -> None:
        """The connection ended (its work is done): the room lost its stream, or the room is ``over``."""
        self._call(lambda snapshots: self.detector.finish(snapshots) if over else self.detector.lost(snapshots),
                   show=over)

    def _call(self, run: Callable[[Snapshots], list[Finding]], *, show: bool = False) -> None:
        with self._lock:
            found = run(self.hooks.snapshots())
            current = self.detector.current() if show or found else None
        if current is not None:
            self.hooks.show(current)
        if found:
            self.hooks.emit(found)

    def _failed(self, stage: str, future: Future[FaceWindow | None]) -> bool:
        if future.cancelled():
            return True
        if (e := future.exception()) is not None:
            self.hooks.warn(f"{stage} failed: {e}")
            return True
        return False
