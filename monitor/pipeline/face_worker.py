"""Face tracking on a thread of its own, so it runs beside decoding and OCR instead of after them.

The face pass is the heaviest stage of a scan with faces on (landmarks on ~10 frames a second);
on the main thread it waited for decoding and OCR and they waited for it. The worker takes dense
frames in time order through a bounded queue (a few frames of memory), feeds them to one
:class:`~monitor.observations.faces.FaceTracker`, and hands back its track at the end. MediaPipe
releases the GIL while it runs, so the two threads share the cores.
"""

from __future__ import annotations

import queue
import threading
import time

from monitor.media.types import DenseFrame, SampledFrame
from monitor.observations.faces import FaceCrop, FaceTrack, FaceTracker

__all__ = ["FaceWorker"]

_END = None


class FaceWorker:
    """Feeds a :class:`FaceTracker` from a worker thread; ``add`` frames in time order, then ``finish``.

    A failure in the worker is raised again by the next ``add`` or by ``finish``; ``close`` stops the
    worker without waiting for the frames still queued (use it in a ``finally``).
    """

    def __init__(self, tracker: FaceTracker, depth: int = 8) -> None:
        self.tracker = tracker
        self.seconds = 0.0
        """Wall seconds the tracker spent on frames (the other threads ran meanwhile)."""
        self._queue: queue.Queue[SampledFrame | DenseFrame | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="livemon-faces", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while (frame := self._queue.get()) is not _END and not self._stop.is_set():
                started = time.perf_counter()
                self.tracker.add(frame)
                self.seconds += time.perf_counter() - started
        except BaseException as e:  # handed to the caller's thread
            self._error = e
            self._drain()

    def _drain(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def add(self, frame: SampledFrame | DenseFrame) -> None:
        """Queue one dense frame (blocks while the queue is full)."""
        self._raise_if_failed()
        while True:
            try:
                self._queue.put(frame, timeout=0.5)
                return
            except queue.Full:
                self._raise_if_failed()

    def finish(self) -> tuple[FaceTrack, tuple[FaceCrop, ...]]:
        """Wait for the queued frames and return the track and crops."""
        self._queue.put(_END)
        self._thread.join()
        self._raise_if_failed()
        return self.tracker.finish()

    def close(self) -> None:
        """Stop the worker (frames still queued are dropped) and wait for it."""
        if self._thread.is_alive():
            self._stop.set()
            self._drain()
            self._queue.put(_END)
            self._thread.join()
