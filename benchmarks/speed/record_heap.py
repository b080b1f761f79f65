"""What a scan's record holds in the Python heap, written as parts while it is made or held until the end.

    python -m benchmarks.speed.record_heap [--minutes 10]

One process: the models are loaded and warmed on the demo, then a looped demo stream
(:func:`benchmarks.speed.long_streams.long_stream`) is observed twice under tracemalloc: once
with its long sequences held in memory (what every scan did before), once written as parts to
a temporary blob store (what ``scan`` does now). For each: the Python heap still held when the
observation stages end (the record, against the heap before the pass), and the peak of the
detection that follows. Snapshots are spilled to disk as ``scan`` spills them. Native memory
(the models' own buffers) is not traced: the long-stream benchmark gives the process's peak
RSS. Results go to ``benchmarks/results/record_heap.{json,md}``.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

from benchmarks import RESULTS_DIR, write_results
from benchmarks.speed.long_streams import long_stream
from monitor.config import load_options
from monitor.demo.cache import demo_stream
from monitor.pipeline.engines import Engines, build_engines
from monitor.pipeline.scan import findings_of, observe
from monitor.store.parts import temporary_blobs

__all__ = ["measure"]

MIB = 1024 * 1024


def _one(path: Path, engines: Engines, parts: bool) -> dict[str, Any]:
    options = load_options()
    gc.collect()
    before, _ = tracemalloc.get_traced_memory()
    blobs = temporary_blobs() if parts else None
    spill = Path(tempfile.mkdtemp(prefix="livemon-snapshots-"))  # as scan does: snapshots on disk
    observed = observe(str(path), options, engines, blobs=blobs, spill=spill)
    gc.collect()
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    result = findings_of(str(path), observed, options, engines.claims)
    _, peak = tracemalloc.get_traced_memory()
    stream = observed.record.head.stream_seconds
    out = {
        "stream_seconds": round(stream, 1),
        "held_after_observing_mib": round((held - before) / MIB, 2),
        "held_per_hour_mib": round((held - before) / MIB * 3600 / stream, 2),
        "detection_peak_mib": round((peak - before) / MIB, 2),
        "findings": len(result.findings),
    }
    observed.snapshots.close()
    del observed, result, blobs
    gc.collect()
    return out


def measure(minutes: float) -> dict[str, Any]:
    options = load_options()
    engines = build_engines(options)
    tracemalloc.start()
    demo, _ = demo_stream()
    _one(demo, engines, parts=True)  # warm-up: the models' lazy tables and first-call allocations
    path = long_stream(minutes)
    held = _one(path, engines, parts=False)
    written = _one(path, engines, parts=True)
    tracemalloc.stop()
    return {
        "command": f"python -m benchmarks.speed.record_heap --minutes {minutes:g}",
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.processor() or platform.platform()}",
        "held_in_memory": held,
        "written_as_parts": written,
        "held_ratio": round(written["held_after_observing_mib"] / max(held["held_after_observing_mib"], 1e-9), 3),
        "same_findings": held["findings"] == written["findings"],
    }


def _markdown(r: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {name} | {v['stream_seconds']} | {v['held_after_observing_mib']} | {v['held_per_hour_mib']} | "
        f"{v['detection_peak_mib']} | {v['findings']} |"
        for name, v in (("held in memory (before)", r["held_in_memory"]), ("written as parts", r["written_as_parts"]))
    )
    return (
        "# A scan's record in the Python heap: held until the end, or written as parts as it is made\n\n"
        f"`{r['command']}` on {r['machine']}; one process, tracemalloc (Python heap only).\n\n"
        "| record | stream s | heap held after observing, MiB | per hour of stream, MiB | detection peak, MiB "
        "| findings |\n|---|---|---|---|---|---|\n"
        f"{rows}\n\nHeld after observing, parts / in memory: {r['held_ratio']}.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "record_heap")
    args = parser.parse_args()
    result = measure(args.minutes)
    write_results(args.out, result, _markdown(result))
    print(_markdown(result))


if __name__ == "__main__":
    main()
