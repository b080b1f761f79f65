"""The on-screen AI label over time: coverage, gaps and prominence, from OCR'd frames fed in time order.

:class:`LabelTracker` is the one implementation of label continuity. ``scan`` feeds it a whole
record at once (:func:`screen_label`); ``watch`` feeds it each sampled frame as OCR reads it and
acts on the :class:`LabelGap` it returns the moment a gap first exceeds ``max_gap``. With ``keep``
the tracker holds only that many recent label sightings, steps and gaps (a live room runs for
days); without it every one, which is what a whole-record judgement needs.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.detectors.digital_human.disclosure import is_label_text
from monitor.observations.types import FrameText, TextBox

__all__ = ["LabelCoverage", "LabelGap", "LabelTracker", "screen_label"]


@dataclass(frozen=True, slots=True)
class LabelCoverage:
    """Where and how long an AI label was visible on screen."""

    coverage: float
    """Share of the judged stream time with the label visible, 0..1."""
    gaps: tuple[tuple[float, float], ...]
    """Stretches without the label longer than the allowed gap, (start, end) seconds."""
    first_seen: float | None
    text: str = ""
    position: str = ""
    """Where the label mostly sat: top-left, top, top-right, left, centre, right, bottom-left, bottom, bottom-right."""
    box: tuple[float, float, float, float] | None = None
    height_ratio: float = 0.0
    """Median label text height over frame height (prominence)."""
    samples: int = 0

    @property
    def seen(self) -> bool:
        return self.first_seen is not None


@dataclass(frozen=True, slots=True)
class LabelGap:
    """A stretch without the label that has grown past ``max_gap``: told once while it is still open
    (``open``, ``end`` = the frame that showed it) and again when the label comes back."""

    start: float
    end: float
    open: bool

    def exceeded_at(self, max_gap: float) -> float:
        """The stream time at which the gap grew past ``max_gap``."""
        return self.start + max_gap


@dataclass(frozen=True, slots=True)
class _Sighting:
    time: float
    width: int
    height: int
    box: TextBox


def _position(box: tuple[float, float, float, float], width: int, height: int) -> str:
    cx = (box[0] + box[2]) / 2 / max(width, 1)
    cy = (box[1] + box[3]) / 2 / max(height, 1)
    col = "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else ""
    row = "top" if cy < 1 / 3 else "bottom" if cy > 2 / 3 else ""
    return "-".join(p for p in (row, col) if p) or "centre"


def _median(values: deque[float] | list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


class LabelTracker:
    """Label sightings of frames fed in time order; each frame stands for the time until the next one.

    A gap begins at the first frame without the label (or at 0 s, before any frame) and ends at the
    next frame with it. :meth:`pause` marks a break in the frames (a live room's lost connection):
    the time until the next frame is then counted neither as visible nor as missing, and an open
    gap ends one frame step after the last frame before the break.
    """

    def __init__(self, max_gap: float, *, keep: int | None = None) -> None:
        self.max_gap = max_gap
        self.samples = 0
        self.first_seen: float | None = None
        self.last_seen: float | None = None
        self._sightings: deque[_Sighting] = deque(maxlen=keep)
        self._steps: deque[float] = deque(maxlen=keep)
        self._gaps: deque[tuple[float, float]] = deque(maxlen=keep)
        self._runs: deque[tuple[float, float]] = deque(maxlen=keep)
        """(first, last) frame times of each run of frames showing the label."""
        self._last: FrameText | None = None
        self._last_labelled = False
        self._span_start: float | None = None
        self._span_done = 0.0
        self._visible = 0.0
        self._gap_start: float | None = 0.0
        self._gap_told = False
        self._paused_at = 0.0

    @property
    def last_time(self) -> float | None:
        """Time of the newest frame fed."""
        return self._last.time if self._last is not None else None

    @property
    def missing_since(self) -> float | None:
        """Start of the current gap (the label is not on screen now), or ``None`` while it is."""
        return self._gap_start

    def step(self) -> float:
        """The usual time between frames (median of those seen; 1 s before two frames)."""
        return _median(self._steps) if self._steps else 1.0

    def add(self, frame: FrameText) -> LabelGap | None:
        """Take the next frame; a :class:`LabelGap` when a gap has just grown past ``max_gap`` or just closed."""
        label = next((b for b in frame.boxes if is_label_text(b.text)), None)
        last, run_goes_on = self._last, self._last_labelled
        if last is not None:
            self._steps.append(frame.time - last.time)
            if self._last_labelled:
                self._visible += frame.time - last.time
        if self._span_start is None:
            self._span_start = frame.time
        self._last, self._last_labelled = frame, label is not None
        self.samples += 1
        if label is None:
            if self._gap_start is None:
                self._gap_start, self._gap_told = frame.time, False
            elif not self._gap_told and frame.time - self._gap_start > self.max_gap:
                self._gap_told = True
                return LabelGap(self._gap_start, frame.time, open=True)
            return None
        self._sightings.append(_Sighting(frame.time, frame.width, frame.height, label))
        self.first_seen = frame.time if self.first_seen is None else self.first_seen
        if run_goes_on and self._runs:
            self._runs[-1] = (self._runs[-1][0], frame.time)
        else:
            self._runs.append((frame.time, frame.time))
        self.last_seen = frame.time
        return self._close_gap(frame.time)

    def _close_gap(self, end: float) -> LabelGap | None:
        start, self._gap_start = self._gap_start, None
        if start is None or end - start <= self.max_gap:
            return None
        self._gaps.append((start, end))
        return LabelGap(start, end, open=False)

    def pause(self) -> LabelGap | None:
        """The frames break off here (a lost connection); they go on, after the break, with the next :meth:`add`."""
        last = self._last
        if last is None:
            return None
        end = last.time + self.step()
        if self._last_labelled:
            self._visible += end - last.time
        if self._span_start is not None:
            self._span_done += end - self._span_start
        self._last, self._last_labelled, self._span_start, self._paused_at = None, False, None, end
        if self._gap_start is None:
            return None
        gap = self._close_gap(end)
        self._gap_start = None
        return gap

    def totals(self) -> tuple[float, float, float]:
        """Seconds with the label visible, seconds judged, and the time they reach: the newest frame (or the end of
        the last frame before a break)."""
        last = self._last
        if last is None or self._span_start is None:
            return self._visible, self._span_done, self._paused_at
        return self._visible, self._span_done + last.time - self._span_start, last.time

    def seen_between(self, start: float, end: float) -> bool:
        """Whether the label was on a frame between ``start`` and ``end`` (among the runs kept)."""
        return any(a <= end and b >= start for a, b in self._runs)

    def coverage(self, duration: float | None = None) -> LabelCoverage:
        """Coverage, gaps and the label's usual place and size, up to ``duration`` (or one step past the last frame)."""
        last = self._last
        end = max(duration or 0.0, last.time + self.step()) if last is not None else 0.0
        visible, span = self._visible, self._span_done
        gaps = list(self._gaps)
        if last is not None and self._span_start is not None:
            span += end - self._span_start
            if self._last_labelled:
                visible += end - last.time
            if self._gap_start is not None and end - self._gap_start > self.max_gap:
                gaps.append((self._gap_start, end))
        if not self._sightings:
            if self.samples == 0:
                return LabelCoverage(0.0, (), None)
            return LabelCoverage(0.0, tuple(gaps), None, samples=self.samples)
        positions = Counter(_position(s.box.box, s.width, s.height) for s in self._sightings)
        ratios = sorted((s.box.box[3] - s.box.box[1]) / max(s.height, 1) for s in self._sightings)
        middle = self._sightings[len(self._sightings) // 2]
        return LabelCoverage(
            coverage=min(1.0, visible / max(span, 1e-9)),
            gaps=tuple(gaps),
            first_seen=self.first_seen,
            text=middle.box.text,
            position=positions.most_common(1)[0][0],
            box=middle.box.box,
            height_ratio=ratios[len(ratios) // 2] if middle.height else 0.0,
            samples=self.samples,
        )


def screen_label(frames: Sequence[FrameText], duration: float | None, max_gap: float) -> LabelCoverage:
    """Label coverage of a whole record's OCR'd frames (see :class:`LabelTracker`)."""
    tracker = LabelTracker(max_gap)
    for frame in sorted(frames, key=lambda f: f.time):
        tracker.add(frame)
    return tracker.coverage(duration)
