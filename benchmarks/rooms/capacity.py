"""The largest number of rooms this machine keeps in real time: try 1, 2, 3... until one is not kept."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from benchmarks.rooms.asr_batch import AsrMode, AsrModeComparison, compare_asr_modes
from benchmarks.rooms.live import RoomsOptions, RoomsRun, run_rooms
from benchmarks.rooms.recording import Recording
from monitor.media.types import AudioPCM
from monitor.observations.asr import FasterWhisperAsr
from monitor.pipeline.engines import Engines

__all__ = ["RoomsCapacity", "find_max_rooms"]

Hook = Callable[[str, float, float | None], None]


@dataclass(frozen=True, slots=True)
class RoomsCapacity:
    """Every room count tried, in order, and how the ASR batch mode was chosen."""

    runs: tuple[RoomsRun, ...]
    options: RoomsOptions
    asr_modes: AsrModeComparison | None
    """The ASR batch modes timed on the same utterances; None when the mode was given."""
    stream_seconds: float
    speech_share: float
    """Share of the recording inside VAD utterances."""
    decode_seconds: float
    """Decoding the recording once (excluded from the runs: frames and audio are pre-decoded)."""

    @property
    def max_kept(self) -> int:
        """Largest room count kept, with every smaller count kept too; 0 when one room is not."""
        kept = 0
        for run in self.runs:
            if not run.kept:
                break
            kept = run.rooms
        return kept

    @property
    def asr_bound_rooms(self) -> float | None:
        """Rooms the ASR's measured throughput alone could serve, with no latency bound: its × real time
        on utterances over the share of a room's stream that is speech."""
        if self.asr_modes is None or not self.speech_share:
            return None
        best = self.asr_modes.seconds[self.asr_modes.fastest]
        return self.asr_modes.audio_s / best / self.speech_share

    @property
    def decode_share(self) -> float:
        """Decode seconds per stream second: what each room would add were decoding simulated."""
        return self.decode_seconds / self.stream_seconds


def _sample_clips(recording: Recording, count: int) -> list[AudioPCM]:
    spans = recording.utterances[:count]
    return [AudioPCM(recording.clip(s, e), recording.audio.sample_rate, start=s) for s, e in spans]


def find_max_rooms(
    engines: Engines,
    recording: Recording,
    options: RoomsOptions = RoomsOptions(),
    *,
    asr_mode: AsrMode | Literal["auto"] = "auto",
    compare_utterances: int = 4,
    max_rooms: int = 8,
    min_counts: int = 1,
    hook: Hook | None = None,
) -> RoomsCapacity:
    """Try 1, 2, ... ``max_rooms`` rooms, stopping after the first count that is not kept
    (but not before ``min_counts`` counts were tried, so a latency curve has points).

    With ``asr_mode="auto"`` every ASR batch mode is first timed on ``compare_utterances``
    utterances and the faster one is used.
    """
    comparison = None
    if asr_mode == "auto":
        if not isinstance(engines.asr, FasterWhisperAsr):
            raise ValueError("the rooms benchmark needs the faster-whisper ASR engine")
        comparison = compare_asr_modes(engines.asr, _sample_clips(recording, compare_utterances))
        asr_mode = comparison.fastest
    options = dataclasses.replace(options, asr_mode=asr_mode)
    runs: list[RoomsRun] = []
    for rooms in range(1, max_rooms + 1):
        if hook is not None:
            hook("rooms", rooms - 1, max_rooms)
        run = run_rooms(engines, recording, rooms, options)
        runs.append(run)
        if not run.kept and rooms >= min_counts:
            break
    if hook is not None:
        hook("rooms", max_rooms, max_rooms)
    speech = sum(end - start for start, end in recording.utterances)
    return RoomsCapacity(
        tuple(runs), options, comparison, recording.duration, speech / recording.duration, recording.decode_seconds
    )
