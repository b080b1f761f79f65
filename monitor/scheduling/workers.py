"""The batch functions the shared schedulers run for many rooms: speech recognition, gated OCR, claim checks,
face windows."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from monitor.detectors.claims import ClaimEngine, ClaimHit, TextSource
from monitor.media.types import AudioPCM, DenseFrame, SampledFrame
from monitor.observations.asr import AsrEngine, PromptedAsr
from monitor.observations.asr_prompt import AsrPrompt
from monitor.observations.faces import FaceCrop, FaceEngine, FaceOptions, FaceTrack, FaceTracker
from monitor.observations.ocr import OcrEngine
from monitor.observations.text_gate import TextChangeGate, TextGateOptions
from monitor.observations.types import FrameText, TextBox, TranscriptSegment
from monitor.observations.voice import VoiceFeatures

__all__ = ["AsrBatch", "ClaimCheck", "PromptedClip", "FaceWindow", "FaceWindows", "GatedOcr", "WindowEnd"]


class PromptedClip(NamedTuple):
    """A room's utterance and the ASR prompt of the room's vertical."""

    clip: AudioPCM
    prompt: AsrPrompt | None


class AsrBatch:
    """Utterances of many rooms through one ASR engine: one batched call per prompt where the engine has one.

    Rooms of one vertical share a prompt and a call; an engine that takes prompts reads each group with its own.
    """

    def __init__(self, asr: AsrEngine) -> None:
        self.asr = asr
        self._prompted: dict[AsrPrompt, AsrEngine] = {}

    def __call__(self, items: Sequence[AudioPCM | PromptedClip]) -> list[list[TranscriptSegment]]:
        groups: dict[AsrPrompt | None, list[int]] = {}
        for i, item in enumerate(items):
            groups.setdefault(item.prompt if isinstance(item, PromptedClip) else None, []).append(i)
        out: list[list[TranscriptSegment]] = [[] for _ in items]
        for prompt, rows in groups.items():
            clips = [c.clip if isinstance(c, PromptedClip) else c for c in (items[i] for i in rows)]
            for i, segments in zip(rows, self._read(self._engine(prompt), clips), strict=True):
                out[i] = segments
        return out

    def _engine(self, prompt: AsrPrompt | None) -> AsrEngine:
        if prompt is None or not isinstance(self.asr, PromptedAsr):
            return self.asr
        if prompt not in self._prompted:
            self._prompted[prompt] = self.asr.with_prompt(prompt)
        return self._prompted[prompt]

    @staticmethod
    def _read(asr: AsrEngine, clips: list[AudioPCM]) -> list[list[TranscriptSegment]]:
        batched = getattr(asr, "transcribe_batch", None)
        return batched(clips) if batched is not None else [asr.transcribe(c) for c in clips]


def _frame_text(frame: SampledFrame, last: FrameText | None, boxes: tuple[TextBox, ...] | None = None) -> FrameText:
    h, w = frame.image.shape[:2]
    if boxes is None:
        return FrameText(frame.time, frame.index, last.boxes if last else (), w, h, reused=True)
    return FrameText(frame.time, frame.index, boxes, w, h)


class GatedOcr:
    """OCR of frames from many rooms: each room's own change gate, then one ``read`` of the frames it let through.

    A batch may hold several frames of one room; they are taken in waves (one frame
    per room each) so every gate decision sees the read before it, as in a scan.
    """

    def __init__(self, ocr: OcrEngine, options: TextGateOptions = TextGateOptions()) -> None:
        self.ocr = ocr
        self.options = options
        self._gates: dict[int, TextChangeGate] = {}
        self._last: dict[int, FrameText] = {}
        self.reads = 0
        self.frames = 0

    def forget(self, room: int) -> None:
        """Drop what is kept of a room that is over (its gate and last read): a long watch sees many rooms."""
        self._gates.pop(room, None)
        self._last.pop(room, None)

    def __call__(self, items: Sequence[tuple[int, SampledFrame]]) -> list[FrameText]:
        results: dict[int, FrameText] = {}
        todo = list(range(len(items)))
        while todo:
            wave: dict[int, int] = {}
            rest = []
            for i in todo:
                if items[i][0] in wave:
                    rest.append(i)
                else:
                    wave[items[i][0]] = i
            need = []
            for room, i in wave.items():
                frame = items[i][1]
                gate = self._gates.setdefault(room, TextChangeGate(self.options))
                last = self._last.get(room)
                if last is not None and not gate.needs_read(frame.image, frame.time):
                    results[i] = self._last[room] = _frame_text(frame, last)
                else:
                    need.append(i)
            for i, boxes in zip(need, self.ocr.read([items[i][1].image for i in need]) if need else [], strict=True):
                room, frame = items[i]
                self._gates[room].remember(frame.image, frame.time, boxes)
                results[i] = self._last[room] = _frame_text(frame, None, boxes)
            self.reads += len(need)
            todo = rest
        self.frames += len(items)
        return [results[i] for i in range(len(items))]


class ClaimCheck:
    """Claim checks of many rooms' texts in one ``check_many`` call per source.

    Each item is ``(texts, source)``: the lines of one result (an utterance's segments, a
    frame's text) and where they came from; each result is the hits of every line.
    """

    def __init__(self, claims: ClaimEngine) -> None:
        self.claims = claims

    def __call__(self, items: Sequence[tuple[Sequence[str], TextSource]]) -> list[list[list[ClaimHit]]]:
        hits: dict[TextSource, Iterator[list[ClaimHit]]] = {}
        for source in {source for _, source in items}:
            texts = [t for lines, s in items if s == source for t in lines]
            hits[source] = iter(self.claims.check_many(texts, source))
        return [[next(hits[source]) for _ in lines] for lines, source in items]


@dataclass(frozen=True, slots=True)
class WindowEnd:
    """Ends a room's face window (``start``..``end`` on the room's clock); ``voice`` is the window's audio."""

    start: float
    end: float
    voice: VoiceFeatures | None = None
    """The voice features of the window's audio (handed on; the worker does not look at them)."""


@dataclass(frozen=True, slots=True)
class FaceWindow:
    """A room's finished face window: the host's face per dense frame, the crops kept, and how it ended."""

    track: FaceTrack
    crops: tuple[FaceCrop, ...]
    end: WindowEnd
    failed: int = 0
    """Frames the face engine failed on (left out of the track)."""
    error: str = ""
    """The first such failure."""


class FaceWindows:
    """Dense frames of many rooms through one set of face models: each room's own follower and track.

    ``follower()`` gives a face engine that follows one stream on the shared models (see
    :meth:`monitor.observations.host_face.HostFaceEngine.for_stream`); every call comes from the
    scheduler's one worker thread. A room's frames build its track until a :class:`WindowEnd`
    hands the track back and starts the next window afresh (a new follower: ten minutes later
    the host is searched for anew). A frame the engine fails on is left out and counted, so one
    room's bad frame neither fails the other rooms' items of the batch nor loses a window's end.
    """

    def __init__(self, follower: Callable[[], FaceEngine], options: FaceOptions) -> None:
        self.follower, self.options = follower, options
        self._trackers: dict[int, FaceTracker] = {}
        self._failures: dict[int, tuple[int, str]] = {}
        self.frames = 0

    def __call__(self, items: Sequence[tuple[int, SampledFrame | DenseFrame | WindowEnd]]) -> list[FaceWindow | None]:
        results: list[FaceWindow | None] = []
        for room, item in items:
            if isinstance(item, WindowEnd):
                tracker = self._trackers.pop(room, None)
                track, crops = tracker.finish() if tracker is not None else (FaceTrack.empty(fps=self.options.fps), ())
                if tracker is not None:
                    tracker.engine.close()
                failed, error = self._failures.pop(room, (0, ""))
                results.append(FaceWindow(track, crops, item, failed, error))
                continue
            try:
                tracker = self._trackers.get(room)
                if tracker is None:
                    tracker = self._trackers[room] = FaceTracker(self.follower(), self.options)
                tracker.add(item)
            except Exception as e:  # noqa: BLE001 - the frame is left out of its room's track and counted
                failed, error = self._failures.get(room, (0, ""))
                self._failures[room] = (failed + 1, error or f"{e.__class__.__name__}: {e}")
            self.frames += 1
            results.append(None)
        return results

    def close(self) -> None:
        """Release the followers of windows that never ended."""
        for tracker in self._trackers.values():
            tracker.engine.close()
        self._trackers.clear()
