"""Rooms kept in real time by ``livemon watch`` itself, decoding included.

``python -m benchmarks.rooms.watch_rooms [--seconds 60] [--max-rooms 4] [--room vertical-720x1280] [--faces]
[--asr-engine torch --device cuda] [--counts 8 16 32]`` plays the demo room (or, with ``--room``, the
generated realistic room of that framing: a swaying host in a patterned suit at 25 fps with the demo's
captions and speech, :func:`caption_room`) N times at once, each paced at real time
(``WatchOptions(realtime=True)``), for N = 1, 2, ... until a count is not kept (:func:`keeps_up`: every
item back, p95 latency under the bound, no growing backlog). Unlike ``python -m benchmarks.rooms``, which
feeds pre-decoded media out of phase, every room here demuxes and decodes its own file and all rooms start
together, so their utterances arrive at the same moments: the harder case. ``--asr-engine torch --device
cuda`` is the watch path on a GPU (the PyTorch Whisper engine batching every room's utterances);
``--counts`` tries those room counts instead of 1, 2, ...
Writes ``benchmarks/results/rooms_watch.json`` and ``.md`` (with ``--room``: ``rooms_watch_<room>``; on
another engine or device, ``_<engine>-<device>`` after it).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks import RESULTS_DIR
from benchmarks.rooms.verdict import KeepRule, LatencySummary, keeps_up, summarise
from benchmarks.speed.caption_room_speed import caption_room
from benchmarks.suite.machine import describe_machine
from monitor.config import ScanOptions, load_options
from monitor.demo.cache import demo_stream
from monitor.pipeline.engines import Engines, build_engines, resolve_device
from monitor.pipeline.watch import WatchOptions, watch
from monitor.results import RoomState

__all__ = ["judge_rooms", "run_count"]


def judge_rooms(states: Sequence[RoomState], rule: KeepRule) -> tuple[dict[str, LatencySummary], bool, str]:
    """Pool every room's timings per kind and judge them; a failed room fails the count."""
    expected = {"speech": sum(s.utterances for s in states), "screen": sum(s.frames for s in states)}
    summaries = {
        kind: summarise([t for s in states for t in s.timings[kind]], expected[kind]) for kind in expected
    }
    kept, reason = keeps_up(summaries, rule)
    if errors := [s.error for s in states if s.error]:
        kept, reason = False, f"{len(errors)} room(s) failed, first: {errors[0]}"
    return summaries, kept, reason


def run_count(rooms: int, video: Path, options: ScanOptions, engines: Engines, rule: KeepRule) -> dict[str, Any]:
    """Watch ``rooms`` copies of ``video`` in real time; the run's latencies and verdict."""
    started = time.perf_counter()
    states = watch([str(video)] * rooms, options, engines, lambda finding, snapshot: None, WatchOptions(realtime=True))
    summaries, kept, reason = judge_rooms(states, rule)
    return {
        "rooms": rooms,
        "wall_s": round(time.perf_counter() - started, 2),
        "stream_s_per_room": round(max(s.stream_seconds for s in states), 2),
        "findings_per_room": [s.findings for s in states],
        **{kind: asdict(s) for kind, s in summaries.items()},
        "kept": kept,
        "reason": reason,
    }


def _markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Rooms kept in real time by `livemon watch` (decoding included)",
        "",
        f"Machine: {result['machine']['cpu']} ({result['machine']['cores']} cores), "
        f"device {result['machine']['device']}. "
        f"Each room plays the first {result['seconds']:.0f} s of {result.get('room', 'the demo room')}, all rooms "
        f"together, paced at real time, faces {'on' if result.get('faces') else 'off'}"
        + (f", ASR {asr['engine']} `{asr['model']}` on {asr['device']}" if (asr := result.get("asr")) else "")
        + ". "
        f"Command: `{result['command']}`.",
        "",
        "| rooms | speech p50 | speech p95 | screen p95 | kept | reason |",
        "|---:|---:|---:|---:|---|---|",
    ]
    for run in result["runs"]:
        lines.append(
            f"| {run['rooms']} | {run['speech']['p50']:.2f} s | {run['speech']['p95']:.2f} s | "
            f"{run['screen']['p95']:.2f} s | {run['kept']} | {run['reason']} |"
        )
    lines += ["", f"Largest count kept: **{result['max_kept']}**.", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="stream seconds each room plays")
    parser.add_argument("--max-rooms", type=int, default=4)
    parser.add_argument("--max-p95", type=float, default=5.0)
    parser.add_argument("--room", default=None, help="a framing of the realistic room (e.g. vertical-720x1280); "
                        "default: the demo room")
    parser.add_argument("--faces", action="store_true", help="with the face models (watch's default)")
    parser.add_argument("--asr-engine", choices=["faster-whisper", "torch"], default="faster-whisper")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--asr-model", default=None, help="the ASR model (default: the configuration's)")
    parser.add_argument("--counts", type=int, nargs="+", default=None,
                        help="room counts to try, in order (default: 1 to --max-rooms)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    video = caption_room(args.room, args.seconds) if args.room else demo_stream()[0]
    chosen = {"asr_engine": args.asr_engine, "device": args.device}
    options = load_options(faces=args.faces, max_duration=args.seconds, **chosen,
                           **({"asr_model": args.asr_model} if args.asr_model else {}))
    engines = build_engines(options)
    rule = KeepRule(max_p95_s=args.max_p95)
    runs: list[dict[str, Any]] = []
    for rooms in args.counts or range(1, args.max_rooms + 1):
        runs.append(run_count(rooms, video, options, engines, rule))
        print(json.dumps({k: runs[-1][k] for k in ("rooms", "kept", "reason")}), flush=True)
        if not runs[-1]["kept"]:
            break
    max_kept = max((r["rooms"] for i, r in enumerate(runs) if all(x["kept"] for x in runs[: i + 1])), default=0)
    result = {
        "command": " ".join(["python -m benchmarks.rooms.watch_rooms", *(sys.argv[1:] if argv is None else argv)]),
        "machine": describe_machine(resolve_device(options.device, options.asr_engine)),
        "seconds": args.seconds,
        "room": f"the {args.room} room with a moving, textured host" if args.room else "the demo room",
        "faces": args.faces,
        "asr": {"engine": options.asr_engine, "device": options.device, "model": options.asr_model},
        "rule": asdict(rule),
        "runs": runs,
        "max_kept": max_kept,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"rooms_watch_{args.room}{'_faces' if args.faces else ''}" if args.room else "rooms_watch"
    if args.asr_engine != "faster-whisper" or args.device != "auto":
        stem += f"_{args.asr_engine}-{args.device}"
    (args.out / f"{stem}.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    (args.out / f"{stem}.md").write_text(_markdown(result), encoding="utf-8")
    print(_markdown(result))
    return result


if __name__ == "__main__":
    main()
