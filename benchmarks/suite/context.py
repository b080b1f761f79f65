"""How big each section runs, and what sections share: engines, the decoded demo, the rooms run."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from benchmarks.rooms import KeepRule, Recording, RoomsCapacity, RoomsOptions, find_max_rooms
from monitor.pipeline.engines import Engines
from monitor.pipeline.progress import ProgressHook, silent

__all__ = ["SuiteContext", "SuitePlan"]


@dataclass(frozen=True, slots=True)
class SuitePlan:
    """Section sizes. The defaults are the full run (about 12 minutes on 2 shared cores).

    The digital-human part runs one seed (every host × condition once) to stay in that time;
    ``python -m benchmarks.digital_human`` runs both seeds.
    """

    rooms_seconds: float = 45.0
    """Stream seconds each room plays, per room count."""
    rooms_drain_s: float = 10.0
    max_rooms: int = 8
    min_room_counts: int = 3
    """Room counts tried even after one is not kept, so the latency curve has points."""
    max_p95_s: float = 5.0
    compare_utterances: int = 4
    """Utterances timed through every ASR batch mode to choose the fastest."""
    scan_seconds: float | None = None
    """Seconds of the demo to scan for the throughput figure; None for all of it."""
    scan_repeats: int = 1
    ocr_frames: int | None = None
    """Sampled frames for the OCR gate ratio; None for every frame of the demo."""
    dh_seeds: tuple[int, ...] = (0,)
    dh_conditions: tuple[str, ...] | None = None
    """Digital-human label conditions; None for all."""

    @classmethod
    def quick(cls) -> SuitePlan:
        """Small enough for a test: a couple of minutes on 2 shared cores."""
        return cls(
            rooms_seconds=12.0,
            rooms_drain_s=8.0,
            max_rooms=2,
            min_room_counts=2,
            compare_utterances=2,
            scan_seconds=10.0,
            ocr_frames=12,
            dh_seeds=(0,),
            dh_conditions=("continuous",),
        )


class SuiteContext:
    """Built lazily and once: the engines (faces off), the decoded demo and the rooms measurement."""

    def __init__(self, plan: SuitePlan, media: Path, out: Path, hook: ProgressHook = silent) -> None:
        self.plan = plan
        self.media = media
        self.out = out
        """The results folder; sections may write their own detail files under it."""
        self.hook = hook

    @functools.cached_property
    def engines(self) -> Engines:
        from monitor.config import load_options
        from monitor.pipeline.engines import build_engines

        return build_engines(load_options(faces=False, asr_engine="faster-whisper"))

    @functools.cached_property
    def recording(self) -> Recording:
        return Recording.decode(self.media)

    @functools.cached_property
    def rooms(self) -> RoomsCapacity:
        p = self.plan
        options = RoomsOptions(seconds=p.rooms_seconds, rule=KeepRule(max_p95_s=p.max_p95_s), drain_s=p.rooms_drain_s)
        return find_max_rooms(
            self.engines,
            self.recording,
            options,
            compare_utterances=p.compare_utterances,
            max_rooms=p.max_rooms,
            min_counts=p.min_room_counts,
            hook=self.hook,
        )
