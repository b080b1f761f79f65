"""Peak memory and speed of ``livemon scan`` on long recordings: 10 minutes, 1 hour, 3 hours.

    python -m benchmarks.speed.long_streams [--minutes 10 60 180]

Each stream loops the demo room (packets copied, timestamps shifted: seconds to build, kept in
the cache folder, never in the repository). Each scan runs in its own process, as a user
runs it, so its peak RSS (``ru_maxrss`` of the child) is its own. Results go to
``benchmarks/results/long_streams.{json,md}``.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import av

from benchmarks import RESULTS_DIR, write_results
from monitor.demo.cache import cached_folder, demo_stream

__all__ = ["loop_stream", "measure"]


def loop_stream(source: Path, out: Path, minutes: float) -> None:
    """``source`` repeated until ``minutes`` of stream, by copying packets with shifted timestamps.

    Every loop starts just after the latest packet of the one before, on every track at once
    (so audio and video stay together).
    """
    target = minutes * 60.0
    with av.open(str(out), "w") as dst:
        streams: dict[int, Any] = {}
        offset = 0.0
        while offset < target:
            end = offset
            with av.open(str(source)) as inp:
                for s in inp.streams:
                    if s.index not in streams:
                        streams[s.index] = dst.add_stream_from_template(s)
                for packet in inp.demux():
                    if packet.dts is None or packet.pts is None or packet.time_base is None:
                        continue
                    base = float(packet.time_base)
                    shift = int(round(offset / base))
                    packet.pts += shift
                    packet.dts += shift
                    end = max(end, (packet.pts + (packet.duration or 0)) * base)
                    packet.stream = streams[packet.stream.index]
                    dst.mux(packet)
            offset = end + 0.1


def long_stream(minutes: float) -> Path:
    demo, _ = demo_stream()
    folder = cached_folder(
        f"long-{minutes:g}min", demo.parent.name, lambda f: loop_stream(demo, f / "room.mp4", minutes)
    )
    return folder / "room.mp4"


_PEAK_OF_CHILD = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)
"""Runs a command as its only child and prints that child's peak RSS (KiB)."""


def _scan(path: Path, folder: Path) -> dict[str, Any]:
    started = time.perf_counter()
    out = folder / f"{path.parent.name}.jsonl"
    command = [sys.executable, "-m", "monitor.cli", "scan", str(path), "--out", str(out)]
    printed = subprocess.run([sys.executable, "-c", _PEAK_OF_CHILD, *command], check=True, capture_output=True,
                             text=True).stdout
    wall = time.perf_counter() - started
    peak = int(printed.split()[-1])
    with av.open(str(path)) as container:
        seconds = float(container.duration or 0) / av.time_base
    return {
        "stream_seconds": round(seconds, 1),
        "wall_seconds": round(wall, 1),
        "x_realtime": round(seconds / wall, 2),
        "peak_rss_mib": round(peak / 1024, 1),
        "findings": sum(1 for _ in out.open(encoding="utf-8")),
    }


def measure(minutes: list[float]) -> dict[str, Any]:
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for m in sorted(minutes):
            runs[f"{m:g} min"] = _scan(long_stream(m), Path(tmp))
    first = runs[f"{min(minutes):g} min"]
    return {
        "command": "python -m benchmarks.speed.long_streams --minutes " + " ".join(f"{m:g}" for m in minutes),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.processor() or platform.platform()}",
        "runs": runs,
        "peak_vs_shortest": {k: round(v["peak_rss_mib"] / first["peak_rss_mib"], 3) for k, v in runs.items()},
        "speed_vs_shortest": {k: round(v["x_realtime"] / first["x_realtime"], 3) for k, v in runs.items()},
    }


def _markdown(r: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {k} | {v['stream_seconds']} | {v['wall_seconds']} | {v['x_realtime']} | {v['peak_rss_mib']} | "
        f"{r['peak_vs_shortest'][k]} | {v['findings']} |"
        for k, v in r["runs"].items()
    )
    return (
        "# `livemon scan` on long recordings: peak memory and speed\n\n"
        f"`{r['command']}` on {r['machine']}; each scan in its own process (peak RSS of that process).\n\n"
        "| stream | stream s | wall s | x real time | peak RSS MiB | peak / shortest | findings |\n"
        "|---|---|---|---|---|---|---|\n"
        f"{rows}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, nargs="+", default=[10.0, 60.0, 180.0])
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "long_streams")
    args = parser.parse_args()
    result = measure(args.minutes)
    write_results(args.out, result, _markdown(result))
    print(_markdown(result))


if __name__ == "__main__":
    main()
