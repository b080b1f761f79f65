"""``python -m benchmarks.rooms [--seconds 45] [--max-rooms 8] [--asr auto|plain|window|pipeline] [--max-p95 5]``.

Prints every room count tried and the largest one kept in real time on this machine.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from benchmarks.rooms.asr_batch import ASR_MODES
from benchmarks.rooms.capacity import find_max_rooms
from benchmarks.rooms.live import RoomsOptions
from benchmarks.rooms.recording import Recording
from benchmarks.rooms.verdict import KeepRule
from monitor.config import load_options
from monitor.demo.cache import demo_stream
from monitor.pipeline.engines import build_engines


def _progress(stage: str, done: float, total: float | None = None) -> None:
    if total and done < total:
        print(f"  trying {int(done) + 1} room(s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="rooms kept in real time with the production engines")
    parser.add_argument("--seconds", type=float, default=45.0, help="stream seconds per room count")
    parser.add_argument("--max-rooms", type=int, default=8)
    parser.add_argument("--min-counts", type=int, default=1, help="room counts to try even after a failure")
    parser.add_argument("--asr", default="auto", choices=("auto", *ASR_MODES))
    parser.add_argument("--max-p95", type=float, default=5.0, help="p95 latency bound, seconds")
    args = parser.parse_args(argv)
    recording = Recording.decode(demo_stream()[0])
    engines = build_engines(load_options(faces=False, asr_engine="faster-whisper"))
    options = RoomsOptions(seconds=args.seconds, rule=KeepRule(max_p95_s=args.max_p95))
    capacity = find_max_rooms(
        engines, recording, options, asr_mode=args.asr, max_rooms=args.max_rooms, min_counts=args.min_counts,
        hook=_progress,
    )
    if capacity.asr_modes is not None:
        print(json.dumps(asdict(capacity.asr_modes)))
    for run in capacity.runs:
        print(f"{run.rooms} room(s): speech p50 {run.speech.p50:.2f} p95 {run.speech.p95:.2f} s, screen p95 "
              f"{run.screen.p95:.2f} s, kept: {run.kept} ({run.reason})")
    print(f"largest room count kept: {capacity.max_kept} (decode excluded: {capacity.decode_share:.1%} per room)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
