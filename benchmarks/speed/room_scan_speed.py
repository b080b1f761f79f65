"""How fast ``livemon scan`` runs on a live-room recording with a host in view, with and without face analysis.

    python -m benchmarks.speed.room_scan_speed [--framing vertical-1080x1920] [--seconds 60] [--repeats 2]
        [--baseline /path/to/another/checkout] [--rounds 2]

The recording is generated: the host (the astronaut photo, moving as the human-like
clips do) in a room of the given framing at 25 fps, with the demo stream's speech as
its audio. The same scan options run twice, faces on and off; the default face window
(45 s per 600 s) covers most of a 60 s clip, so this is the face pass's heaviest duty,
not a long stream's.

Each measurement runs in a process of its own (models loaded, one warm-up scan, then
``repeats`` timed scans) and records wall and CPU seconds (all threads of the process).
With ``--baseline`` the same measurement runs on another checkout (its own ``monitor``
package, through the same public calls) in the same run, alternating with this tree
``--rounds`` times so that both see the same load; the ratio of their medians is the
speed-up. Stage seconds are each thread's wall seconds: faces and speech run on threads
of their own beside decoding and OCR, so they overlap and do not add up to the wall time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import av
import numpy as np

from benchmarks import RESULTS_DIR
from benchmarks.digital_human.framing import framing_named, room_frame
from benchmarks.digital_human.scenario import Scenario, timeline
from benchmarks.suite.machine import describe_machine, load_average
from monitor.demo.cache import cached_folder, demo_stream
from monitor.demo.mux import write_media

__all__ = ["measure", "room_recording"]

FPS = 25
SR = 16_000
REPO = Path(__file__).resolve().parents[2]

_TIMED_SCANS = """
import json, sys, time
from monitor.config import load_options
from monitor.pipeline.engines import build_engines
from monitor.pipeline.scan import scan
media, faces, repeats = sys.argv[1], sys.argv[2] == "on", int(sys.argv[3])
options = load_options(faces=faces)
engines = build_engines(options)
scan(media, options, engines)  # warm-up
for _ in range(repeats):
    cpu = time.process_time()
    result = scan(media, options, engines)
    dh = result.digital_human
    print(json.dumps({
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "stats": result.stats,
        "findings": len(result.findings),
        "dh_judgement": dh.judgement.status if dh else None,
        "face_view": dh.view.describe() if dh and hasattr(dh, "view") else None,
    }, ensure_ascii=False), flush=True)
"""
"""Runs in the measured checkout; only public calls that every version of the scan has."""


def demo_speech(seconds: float) -> np.ndarray:
    """The demo stream's audio, 16 kHz mono, looped to ``seconds``."""
    with av.open(str(demo_stream()[0])) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SR)
        chunks = [
            out.to_ndarray().reshape(-1)
            for frame in container.decode(audio=0)
            for out in resampler.resample(frame)
        ]
    audio = np.concatenate(chunks).astype(np.float32)
    return np.resize(audio, int(seconds * SR))


def room_recording(framing_name: str, seconds: float) -> Path:
    """A cached MP4 of a host speaking in a room of ``framing_name``."""
    framing = framing_named(framing_name)
    poses = timeline(Scenario("human", "no_label", 0, seconds=12.0, fps=FPS)).poses

    def build(folder: Path) -> None:
        def frame_at(i: int) -> np.ndarray:
            return room_frame(framing, framing.host_face_px, poses[i % len(poses)])

        write_media(folder / "room.mp4", duration=seconds, audio=demo_speech(seconds), sample_rate=SR,
                    frame_at=frame_at, fps=FPS)

    key = hashlib.sha256(f"room-scan-1|{framing_name}|{seconds}".encode()).hexdigest()[:12]
    return cached_folder(f"room-{framing_name}-{seconds:g}s", key, build) / "room.mp4"


def _revision(tree: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True, timeout=30)
        dirty = subprocess.run(["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True, timeout=30).stdout.strip()
        return out.stdout.strip() + ("+changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def timed_scans(tree: Path, media: Path, faces: bool, repeats: int) -> list[dict[str, Any]]:
    """``repeats`` timed scans of ``media`` by the checkout at ``tree``, in a process of its own."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", _TIMED_SCANS, str(media), "on" if faces else "off", str(repeats)],
        cwd=tree, env=env, capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the scan in {tree} failed:\n{done.stderr[-3000:]}")
    runs = []
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            run = json.loads(line)
            run["load_average"] = load_average()[0]
            runs.append(run)
    return runs


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median wall and CPU seconds of the runs, the median run's stages and their share of the wall time."""
    walls = [r["stats"]["wall_seconds"] for r in runs]
    stream = runs[0]["stats"]["stream_seconds"]
    median = sorted(runs, key=lambda r: r["stats"]["wall_seconds"])[len(runs) // 2]
    stages = {k[: -len("_seconds")]: round(v, 2) for k, v in median["stats"].items()
              if k.endswith("_seconds") and k not in ("stream_seconds", "wall_seconds")}
    wall = median["stats"]["wall_seconds"]
    return {
        "stream_seconds": round(stream, 2),
        "wall_seconds": [round(w, 2) for w in walls],
        "cpu_seconds": [r["cpu_seconds"] for r in runs],
        "load_average": [r["load_average"] for r in runs],
        "x_realtime_median": round(stream / statistics.median(walls), 2),
        "x_realtime_range": [round(stream / max(walls), 2), round(stream / min(walls), 2)],
        "cpu_seconds_per_stream_second": round(statistics.median(r["cpu_seconds"] for r in runs) / stream, 3),
        "stage_seconds": stages,
        "stage_share_of_wall": {k: round(v / wall, 2) for k, v in stages.items()},
        "ocr_frames": median["stats"].get("ocr_frames"),
        "sampled_frames": median["stats"].get("sampled_frames"),
        "findings": sorted({r["findings"] for r in runs}),
        "dh_judgement": median["dh_judgement"],
        "face_view": median["face_view"],
    }


def measure(media: Path, repeats: int, baseline: Path | None = None, rounds: int = 1) -> dict[str, Any]:
    """Scans with faces on and off (and, with ``baseline``, faces on by the other checkout, alternating)."""
    trees = {"this": REPO, **({"baseline": baseline} if baseline is not None else {})}
    collected: dict[str, list[dict[str, Any]]] = {}
    for _ in range(rounds):
        for name, tree in trees.items():
            collected.setdefault(f"{name}_faces_on", []).extend(timed_scans(tree, media, True, repeats))
    collected["this_faces_off"] = timed_scans(REPO, media, False, repeats)
    result: dict[str, Any] = {name: _summary(runs) for name, runs in collected.items()}
    on, off = result["this_faces_on"], result["this_faces_off"]
    result["faces_on_vs_off_time_ratio"] = round(
        statistics.median(on["wall_seconds"]) / statistics.median(off["wall_seconds"]), 2)
    if baseline is not None:
        base = result["baseline_faces_on"]
        result["baseline_revision"] = _revision(baseline)
        result["speedup_vs_baseline_wall"] = round(
            statistics.median(base["wall_seconds"]) / statistics.median(on["wall_seconds"]), 2)
        result["speedup_vs_baseline_cpu"] = round(
            statistics.median(base["cpu_seconds"]) / statistics.median(on["cpu_seconds"]), 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framing", default="vertical-1080x1920")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--baseline", type=Path, default=None, help="another checkout to measure in the same run")
    parser.add_argument("--baseline-name", default=None, help="what the baseline is, for the record (its revision)")
    parser.add_argument("--rounds", type=int, default=1, help="times the two checkouts are measured in turn")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args()
    media = room_recording(args.framing, args.seconds)
    command = f"python -m benchmarks.speed.room_scan_speed --framing {args.framing} --seconds {args.seconds:g}"
    if args.baseline is not None:
        command += f" --baseline BASELINE_CHECKOUT --rounds {args.rounds}"
    result = {
        "command": command + (f" --repeats {args.repeats}" if args.repeats != 2 else ""),
        "framing": args.framing,
        "revision": _revision(REPO),
        "machine": describe_machine("cpu"),
        **measure(media, args.repeats, args.baseline, args.rounds),
    }
    if args.baseline_name:
        result["baseline_revision"] = args.baseline_name
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"room_scan_speed_{args.framing}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
