"""Size, speed and memory of the HTML report of a long session (a generated six-hour result).

    python -m benchmarks.speed.report_size [--hours 1 3 6] [--findings-per-hour 333.333] [--segments-per-hour 3333.33]

For each length, a result with findings spread over the stream, a transcript and a 480x270
JPEG snapshot per finding (spilled to disk, read back on demand) is written twice: as today's
paged report (``write_report``) and, as the baseline, as one self-contained page
(``render_report``, what every run got before). Render time is the best wall time of five;
peak memory is ``tracemalloc``'s peak of what one more render allocated (the inputs are built
before it starts and the transcript is read from a generator). Results go to
``benchmarks/results/report_size.{json,md}``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks import RESULTS_DIR, write_results
from monitor.findings import CLAIM_CATEGORIES, Evidence, Finding
from monitor.media.snapshots import SnapshotStore
from monitor.media.types import MediaInfo, SampledFrame
from monitor.observations.types import TranscriptSegment
from monitor.results import ScanResult
from monitor.sinks.html_report import render_report, write_report

__all__ = ["long_result", "measure", "transcript_of"]

SEGMENT_MARK = "转写句"
"""Every generated transcript line starts with it (so a test can tell transcript text apart)."""


def transcript_of(seconds: float, count: int) -> Callable[[], Iterator[TranscriptSegment]]:
    """A fresh generator of ``count`` lines spread over ``seconds``, in time order (as a store reads them)."""
    step = seconds / count

    def segments() -> Iterator[TranscriptSegment]:
        for n in range(count):
            start = n * step
            yield TranscriptSegment(start, start + 0.9 * step, f"{SEGMENT_MARK}{n:06d} 家人们这款面霜今天只要九十九元")
        return

    return segments


def long_result(
    folder: Path, *, hours: float = 6.0, findings: int = 2000, size: tuple[int, int] = (64, 36),
    text: str = "全网最低价", source: str = "room.mp4", seed: int = 0,
) -> ScanResult:
    """A result of ``hours`` of stream with ``findings`` findings (two in three spoken), each with a
    snapshot of ``size`` pixels kept in ``folder`` and read back on access; its transcript is empty
    (see :func:`transcript_of`)."""
    rng = random.Random(seed)
    seconds = hours * 3600.0
    snapshots = SnapshotStore(spill=folder)
    width, height = size
    base = np.tile(np.linspace(0, 255, width, dtype=np.uint8)[None, :, None], (height, 1, 3))
    made = []
    for n in range(findings):
        start = round(rng.uniform(0.0, seconds - 10.0), 2)
        image = base.copy()
        cv2.putText(image, str(n), (2, height - 4), cv2.FONT_HERSHEY_SIMPLEX, height / 60, (0, 0, 255), 1)
        name = snapshots.add(SampledFrame(start, n, image))
        category = CLAIM_CATEGORIES[n % len(CLAIM_CATEGORIES)]
        words = f"第{n}条 {text} 今天只要九十九"
        made.append(Finding(
            category, ("block", "review", "pass")[n % 3], start, start + rng.uniform(0.5, 6.0),
            "screen" if n % 3 == 2 else "speech", words, 0.8, "广告法 第九条", rule=f"{category}.r{n % 4}",
            span=(len(f"第{n}条 "), len(f"第{n}条 {text}")), stream=source, evidence=Evidence(snapshot=name),
        ))
    info = MediaInfo(source, seconds, True, True, 1280, 720, 25.0)
    return ScanResult(
        info=info, findings=made, transcript=[], frame_texts=[], snapshots=snapshots,
        stats={"stream_seconds": seconds}, provenance={"rules": "generated@1", "asr": "generated"},
    )


def _timed(render: Callable[[], Any]) -> tuple[Any, float, int]:
    """``render()``'s result, its best wall time of five, and (from one more run, under tracemalloc) its
    peak allocation."""
    seconds = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        render()
        seconds = min(seconds, time.perf_counter() - started)
    tracemalloc.start()
    try:
        return render(), seconds, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _one(hours: float, findings: int, segments: int, tmp: Path) -> dict[str, Any]:
    result = long_result(tmp / f"snapshots-{hours:g}", hours=hours, findings=findings, size=(480, 270))
    transcript = transcript_of(hours * 3600.0, segments)
    report = tmp / f"{hours:g}h" / "report.html"
    size, paged_s, paged_peak = _timed(lambda: write_report(result, report, transcript=transcript()))
    single = tmp / f"{hours:g}h-single.html"
    _, single_s, single_peak = _timed(lambda: single.write_text(render_report(result, transcript=transcript()),
                                                                encoding="utf-8"))
    return {
        "findings": findings, "transcript_lines": segments,
        "snapshot_kb_each": round(sum((tmp / f"snapshots-{hours:g}" / n).stat().st_size
                                       for _, n in result.snapshots.index) / 1e3 / findings, 1),
        "paged": {"index_kb": round(size.index_bytes / 1e3, 1), "pages": size.pages,
                  "total_mb": round(size.total_bytes / 1e6, 1), "render_s": round(paged_s, 2),
                  "peak_mib": round(paged_peak / 2**20, 1)},
        "single_page": {"file_mb": round(single.stat().st_size / 1e6, 1), "render_s": round(single_s, 2),
                        "peak_mib": round(single_peak / 2**20, 1)},
    }


def measure(hours: list[float], findings_per_hour: float, segments_per_hour: float) -> dict[str, Any]:
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for h in sorted(hours):
            runs[f"{h:g} h"] = _one(h, round(h * findings_per_hour), round(h * segments_per_hour), Path(tmp))
    shortest = runs[f"{min(hours):g} h"]["paged"]["peak_mib"]
    for run in runs.values():
        paged, single = run["paged"], run["single_page"]
        paged["peak_vs_shortest"] = round(paged["peak_mib"] / shortest, 2)
        run["vs_single_page"] = {
            "index_size": round(paged["index_kb"] / 1e3 / single["file_mb"], 4),
            "render_time": round(paged["render_s"] / single["render_s"], 2),
            "peak_memory": round(paged["peak_mib"] / single["peak_mib"], 3),
        }
    return {
        "command": "python -m benchmarks.speed.report_size --hours " + " ".join(f"{h:g}" for h in hours)
        + f" --findings-per-hour {findings_per_hour:g} --segments-per-hour {segments_per_hour:g}",
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.processor() or platform.platform()}",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "runs": runs,
    }


def _markdown(r: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {k} | {v['findings']} | {v['transcript_lines']} | {v['snapshot_kb_each']} | "
        f"{v['paged']['index_kb']} | {v['paged']['pages']} | "
        f"{v['paged']['total_mb']} | {v['paged']['render_s']} | {v['paged']['peak_mib']} | "
        f"{v['paged']['peak_vs_shortest']} | "
        f"{v['single_page']['file_mb']} | {v['single_page']['render_s']} | {v['single_page']['peak_mib']} | "
        f"{v['vs_single_page']['render_time']} | {v['vs_single_page']['peak_memory']} |"
        for k, v in r["runs"].items()
    )
    return (
        "# The HTML report of a long session: size, render time, peak memory\n\n"
        f"`{r['command']}` on {r['machine']} (load average {r['load_average']} after the run; other work "
        "shares these cores, so the render times are noisy). Paged: `write_report` (index + pages); single page: "
        "`render_report`, what every run got before (the baseline, same run). Peak memory: tracemalloc "
        "peak of one more render; render s: best of five; snapshots (one 480x270 JPEG a finding) read from "
        "disk on demand.\n\n"
        "| stream | findings | transcript lines | snapshot kB | index kB | pages | total MB | render s | peak MiB "
        "| peak / shortest "
        "| single page MB | single render s | single peak MiB | time paged/single | peak paged/single |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        f"{rows}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, nargs="+", default=[1.0, 3.0, 6.0])
    parser.add_argument("--findings-per-hour", type=float, default=2000 / 6)
    parser.add_argument("--segments-per-hour", type=float, default=20_000 / 6)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "report_size")
    args = parser.parse_args()
    result = measure(args.hours, args.findings_per_hour, args.segments_per_hour)
    write_results(args.out, result, _markdown(result))
    print(_markdown(result))


if __name__ == "__main__":
    main()
