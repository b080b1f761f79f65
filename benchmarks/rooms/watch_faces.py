"""What the digital-human face pass costs ``livemon watch``: CPU seconds per stream second, faces on against off.

``python -m benchmarks.rooms.watch_faces [--rooms 2] [--framing vertical-720x1280] [--repeat 2]`` watches N
copies of a generated digital-human room (the avatar clip of ``benchmarks.digital_human``: 12 s, the host in a
live-room framing, 12 fps) read as fast as they decode, alternately with faces off and on, in the same run.
The clip lies inside one face window, so every second is analysed at ``face_fps`` (10): the figure is the cost
during a window. Speech is off in both conditions (the clips' voices are tones, not speech). It reports the
process's CPU seconds (all threads) per room-second of stream, the ratio on/off, and the CPU milliseconds per
face frame. Every room's likelihood must be the same in every run (the face models are shared by the rooms).
Writes ``benchmarks/results/watch_faces.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import RESULTS_DIR, write_results
from benchmarks.digital_human.generate import clip_path
from benchmarks.digital_human.scenario import Scenario
from benchmarks.suite.machine import describe_machine
from monitor.config import ScanOptions, load_options
from monitor.pipeline.engines import Engines, build_engines
from monitor.pipeline.watch import watch

__all__ = ["measure"]


def measure(clip: str, seconds: float, rooms: int, options: ScanOptions, engines: Engines) -> dict[str, Any]:
    """Watch ``rooms`` copies of ``clip`` (``seconds`` long) once, as fast as they decode: CPU and wall seconds."""
    cpu, wall = time.process_time(), time.perf_counter()
    states = watch([clip] * rooms, options, engines, lambda finding, snapshot: None)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if errors := [s.error for s in states if s.error]:
        raise RuntimeError(f"a room failed: {errors[0]}")
    stream = rooms * seconds
    likelihoods = [s.digital_human.likelihood if s.digital_human else None for s in states]
    return {"cpu_s": round(cpu, 3), "wall_s": round(wall, 3), "stream_s": round(stream, 3),
            "cpu_per_stream_s": round(cpu / stream, 4), "likelihoods": likelihoods}


def _markdown(result: dict[str, Any]) -> str:
    off, on = result["faces_off"], result["faces_on"]
    return "\n".join([
        "# The face pass in `livemon watch`: CPU per stream second, faces on against off",
        "",
        f"Machine: {result['machine']['cpu']} ({result['machine']['cores']} cores, shared with other work while "
        f"measured). {result['rooms']} rooms of `{result['clip']}` ({result['framing']}), read as fast as they "
        f"decode, speech off, faces at {result['face_fps']:g} fps for the whole clip (one face window). Best of "
        f"{result['repeat']} alternating runs. Command: `{result['command']}`.",
        "",
        "| faces | CPU s per room-stream-s | CPU s | wall s |",
        "|---|---:|---:|---:|",
        f"| off | {off['cpu_per_stream_s']:.3f} | {off['cpu_s']:.1f} | {off['wall_s']:.1f} |",
        f"| on | {on['cpu_per_stream_s']:.3f} | {on['cpu_s']:.1f} | {on['wall_s']:.1f} |",
        "",
        f"Faces on cost **{result['ratio']:.2f}x** the CPU of faces off during a face window: "
        f"{result['ms_per_face_frame']:.1f} ms of CPU per face frame ({result['face_frames']} frames). With the "
        f"default windows (the first {result['face_window']:g} s of every {result['face_period']:g} s) that is "
        f"{result['average_extra_per_stream_s'] * 1000:.0f} ms of CPU per room-second on average, computed "
        "from the in-window figure. Likelihood of every room in every run: "
        f"{sorted(set(result['likelihoods']))}.",
        "",
    ])


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=2)
    parser.add_argument("--framing", default="vertical-720x1280")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    scenario = Scenario("avatar", "no_label", 0, framing=args.framing)
    clip = str(clip_path(scenario))
    on_options = load_options(speech=False)
    off_options = on_options.model_copy(update={"faces": False})
    engines = build_engines(on_options)
    runs: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    for _ in range(args.repeat):
        for name, options in (("off", off_options), ("on", on_options)):
            runs[name].append(measure(clip, scenario.seconds, args.rooms, options, engines))
            print(name, runs[name][-1], flush=True)
    off, on = (min(runs[k], key=lambda r: r["cpu_per_stream_s"]) for k in ("off", "on"))
    frames = args.rooms * math.ceil(scenario.seconds * on_options.face_fps)
    extra = on["cpu_per_stream_s"] - off["cpu_per_stream_s"]
    likelihoods = [x for r in runs["on"] for x in r["likelihoods"]]
    if len(set(likelihoods)) != 1 or likelihoods[0] is None:
        raise RuntimeError(f"rooms were judged differently: {likelihoods}")
    result = {
        "command": " ".join(["python -m benchmarks.rooms.watch_faces", *(sys.argv[1:] if argv is None else argv)]),
        "machine": describe_machine("cpu"),
        "clip": scenario.name, "framing": args.framing, "rooms": args.rooms, "repeat": args.repeat,
        "face_fps": on_options.face_fps, "face_window": on_options.face_window, "face_period": on_options.face_period,
        "faces_off": off, "faces_on": on, "runs": runs,
        "ratio": round(on["cpu_per_stream_s"] / off["cpu_per_stream_s"], 3),
        "face_frames": frames,
        "ms_per_face_frame": round(1000 * (on["cpu_s"] - off["cpu_s"]) / frames, 2),
        "average_extra_per_stream_s": round(extra * on_options.face_window / on_options.face_period, 4),
        "likelihoods": likelihoods,
    }
    write_results(args.out / "watch_faces", result, _markdown(result))
    print(_markdown(result))
    return result


if __name__ == "__main__":
    main()
