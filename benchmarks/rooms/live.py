"""N rooms play a recording in real time through one shared ASR, OCR and claims engine.

Each room hands over an utterance when it ends (as a VAD would) and a frame each
second. Utterances of all rooms go through one :class:`BatchScheduler` around the
one Whisper model, frames through one around the OCR engine (with each room's text
change gate), and every result through one around the claim engine. Latency is
measured from the utterance's end (or the frame's time) to its claim check being done.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from benchmarks.rooms.asr_batch import AsrMode, batch_runner
from benchmarks.rooms.recording import Arrival, Recording, room_arrivals
from benchmarks.rooms.verdict import KeepRule, LatencySummary, keeps_up, summarise
from monitor.detectors.claims import ClaimHit
from monitor.observations.asr import FasterWhisperAsr
from monitor.observations.types import FrameText, TranscriptSegment
from monitor.pipeline.engines import Engines
from monitor.scheduling import BatchScheduler, SchedulerClosed, SchedulerOptions
from monitor.scheduling.workers import ClaimCheck, GatedOcr

__all__ = ["OFFSET_STEP_S", "RoomsOptions", "RoomsRun", "run_rooms"]

OFFSET_STEP_S = 17.0
"""Room ``r`` starts the recording ``r × 17 s`` in (looping), so rooms are out of phase."""


@dataclass(frozen=True, slots=True)
class RoomsOptions:
    """How long each room plays and how work is batched."""

    seconds: float = 45.0
    """Stream seconds each room plays per room count."""
    rule: KeepRule = KeepRule()
    asr_mode: AsrMode = "window"
    asr_batch: int = 4
    """Most utterances per ASR batch; ``plain`` takes one at a time so each result leaves as soon as it is done."""
    ocr_batch: int = 4
    claims_batch: int = 32
    max_wait_s: float = 0.05
    drain_s: float = 10.0
    """After the last arrival, how long the backlog may take to clear."""


@dataclass(frozen=True, slots=True)
class RoomsRun:
    """One room count played in real time."""

    rooms: int
    seconds: float
    asr_mode: AsrMode
    speech: LatencySummary
    screen: LatencySummary
    speech_audio_s: float
    frames: int
    ocr_reads: int
    claim_hits: int
    asr_mean_batch: float
    ocr_mean_batch: float
    backlog_max: int
    """Most items submitted but not yet through their claim check."""
    backlog_at_end: int
    """Items outstanding when the last room stopped playing."""
    wall_s: float
    errors: tuple[str, ...]
    kept: bool
    reason: str


@dataclass(slots=True)
class _Tracker:
    """Arrival-to-findings latencies, recorded from the schedulers' worker threads."""

    start: float
    timings: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: {"speech": [], "screen": []})
    hits: int = 0
    outstanding: int = 0
    backlog_max: int = 0
    finished: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    all_done: threading.Event = field(default_factory=threading.Event)
    expected: int = 0

    def submitted(self) -> None:
        with self.lock:
            self.outstanding += 1
            self.backlog_max = max(self.backlog_max, self.outstanding)

    def done(self, arrival: Arrival, hits: int | None, error: str | None) -> None:
        now = time.monotonic()
        with self.lock:
            self.outstanding -= 1
            self.finished += 1
            if error is not None:
                self.errors.append(error)
            elif hits is not None:
                self.timings[arrival.kind].append((arrival.due, now - self.start - arrival.due))
                self.hits += hits
            if self.finished == self.expected:
                self.all_done.set()


def _texts(result: Any) -> list[str]:
    if isinstance(result, FrameText):
        return [result.text] if result.text else []
    segments: list[TranscriptSegment] = result
    return [s.text for s in segments]


def _then_claims(
    arrival: Arrival, claims: BatchScheduler[Any, Any], tracker: _Tracker
) -> Callable[[Future[Any]], None]:
    """Callback: hand a finished ASR/OCR result to the claims scheduler, then record its latency."""

    def finish(future: Future[list[list[ClaimHit]]]) -> None:
        if future.cancelled():
            tracker.done(arrival, None, None)
        elif (e := future.exception()) is not None:
            tracker.done(arrival, None, f"claims: {e!r}")
        else:
            tracker.done(arrival, sum(len(h) for h in future.result()), None)

    def on_result(future: Future[Any]) -> None:
        if future.cancelled():
            tracker.done(arrival, None, None)
            return
        if (e := future.exception()) is not None:
            tracker.done(arrival, None, f"{arrival.kind}: {e!r}")
            return
        try:
            source = "speech" if arrival.kind == "speech" else "text"
            claims.submit(arrival.room, (_texts(future.result()), source)).add_done_callback(finish)
        except SchedulerClosed:
            tracker.done(arrival, None, None)

    return on_result


def _arrivals(recording: Recording, rooms: int, seconds: float) -> list[Arrival]:
    offsets = [(r * OFFSET_STEP_S) % recording.duration for r in range(rooms)]
    every = [a for r, offset in enumerate(offsets) for a in room_arrivals(recording, r, offset, seconds)]
    return sorted(every, key=lambda a: a.due)


def run_rooms(engines: Engines, recording: Recording, rooms: int, options: RoomsOptions = RoomsOptions()) -> RoomsRun:
    """Play ``rooms`` rooms for ``options.seconds`` in real time and judge whether they were kept."""
    if not isinstance(engines.asr, FasterWhisperAsr) or engines.ocr is None:
        raise ValueError("the rooms benchmark needs the faster-whisper ASR and an OCR engine")
    arrivals = _arrivals(recording, rooms, options.seconds)
    gated = GatedOcr(engines.ocr)
    wait = options.max_wait_s
    claims: BatchScheduler[Any, Any] = BatchScheduler(
        ClaimCheck(engines.claims), SchedulerOptions(options.claims_batch, wait), name="rooms-claims"
    )
    asr_batch = options.asr_batch if options.asr_mode != "plain" else 1
    asr = BatchScheduler(
        batch_runner(engines.asr, options.asr_mode), SchedulerOptions(asr_batch, wait), name="rooms-asr"
    )
    ocr = BatchScheduler(gated, SchedulerOptions(options.ocr_batch, wait), name="rooms-ocr")
    tracker = _Tracker(start=time.monotonic() + 0.2, expected=len(arrivals))
    for a in arrivals:
        time.sleep(max(0.0, tracker.start + a.due - time.monotonic()))
        tracker.submitted()
        future: Future[Any]
        if a.kind == "speech" and a.audio is not None:
            future = asr.submit(a.room, a.audio)
        elif a.kind == "screen" and a.frame is not None:
            future = ocr.submit(a.room, (a.room, a.frame))
        else:
            raise ValueError(f"a {a.kind} arrival without its {'audio' if a.kind == 'speech' else 'frame'}")
        future.add_done_callback(_then_claims(a, claims, tracker))
    with tracker.lock:
        backlog_at_end = tracker.outstanding
    end_of_stream = max(options.seconds, arrivals[-1].due if arrivals else 0.0)
    tracker.all_done.wait(max(0.0, tracker.start + end_of_stream + options.drain_s - time.monotonic()))
    wall = time.monotonic() - tracker.start
    for scheduler in (asr, ocr, claims):
        scheduler.shutdown(wait=True, cancel_pending=True)
    return _judge(rooms, options, arrivals, tracker, gated, asr, ocr, backlog_at_end, wall)


def _judge(
    rooms: int,
    options: RoomsOptions,
    arrivals: Sequence[Arrival],
    tracker: _Tracker,
    gated: GatedOcr,
    asr: BatchScheduler[Any, Any],
    ocr: BatchScheduler[Any, Any],
    backlog_at_end: int,
    wall: float,
) -> RoomsRun:
    with tracker.lock:
        timings = {k: list(v) for k, v in tracker.timings.items()}
        errors = tuple(tracker.errors)
        hits, backlog_max = tracker.hits, tracker.backlog_max
    summaries = {
        kind: summarise(timings[kind], sum(1 for a in arrivals if a.kind == kind)) for kind in ("speech", "screen")
    }
    kept, reason = keeps_up(summaries, options.rule)
    if errors:
        kept, reason = False, f"{len(errors)} item(s) failed, first: {errors[0]}"
    return RoomsRun(
        rooms=rooms,
        seconds=options.seconds,
        asr_mode=options.asr_mode,
        speech=summaries["speech"],
        screen=summaries["screen"],
        speech_audio_s=round(sum(a.audio.duration for a in arrivals if a.audio is not None), 2),
        frames=gated.frames,
        ocr_reads=gated.reads,
        claim_hits=hits,
        asr_mean_batch=round(asr.metrics().mean_batch, 2),
        ocr_mean_batch=round(ocr.metrics().mean_batch, 2),
        backlog_max=backlog_max,
        backlog_at_end=backlog_at_end,
        wall_s=round(wall, 2),
        errors=errors,
        kept=kept,
        reason=reason,
    )
