"""Write the benchmark's results as JSON and as a Markdown summary."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.gpu.measure import Capacity, LiveRun

__all__ = ["as_dict", "markdown", "write_results"]


def _capacity(c: Capacity) -> dict[str, Any]:
    return {**asdict(c), "utterances_per_s": c.utterances_per_s, "x_realtime": c.x_realtime}


def _live(r: LiveRun) -> dict[str, Any]:
    return {**asdict(r), "x_realtime": r.x_realtime}


def as_dict(setup: dict[str, Any], batched: Capacity, single: Capacity, live: list[LiveRun]) -> dict[str, Any]:
    kept = [r.rooms for r in live if r.keeps_up]
    return {
        **setup,
        "capacity_batched": _capacity(batched),
        "capacity_unbatched": _capacity(single),
        "batched_over_unbatched": batched.utterances_per_s / single.utterances_per_s,
        "live": [_live(r) for r in live],
        "rooms_kept_realtime": max(kept, default=0),
    }


def markdown(result: dict[str, Any]) -> str:
    b, s = result["capacity_batched"], result["capacity_unbatched"]
    lines = [
        f"# Rooms per device: Whisper {result['arch']} on {result['device_name']} — {result['label']}",
        "",
        f"{result['dtype']}, {result['steps']} decoder steps per utterance, utterances "
        f"{result['traffic']['min_utterance_s']}–{result['traffic']['max_utterance_s']} s, "
        f"scheduler max_batch {result['max_batch']}, max_wait {result['max_wait_s']} s; "
        f"torch {result['torch']}, transformers {result['transformers']}.",
        "",
        "## Capacity (all utterances queued at once)",
        "",
        "| mode | items | mean batch | utterances/s | × real time |",
        "|---|---|---|---|---|",
        f"| batched | {b['items']} | {b['mean_batch']:.1f} | {b['utterances_per_s']:.2f} | {b['x_realtime']:.1f} |",
        f"| one by one | {s['items']} | {s['mean_batch']:.1f} | {s['utterances_per_s']:.2f} | {s['x_realtime']:.1f} |",
        "",
        f"Batched / one by one: **{result['batched_over_unbatched']:.2f}×**.",
        "",
        f"## Live rooms (real time, {result['seconds']} s each, kept up = all done and p95 ≤ "
        f"{result['max_latency_s']} s)",
        "",
        "| rooms | utterances | done | × real time | latency p50 s | p95 s | max s | mean batch | kept up |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["live"]:
        lines.append(
            f"| {r['rooms']} | {r['utterances']} | {r['completed']} | {r['x_realtime']:.1f} | "
            f"{r['latency_p50']:.2f} | {r['latency_p95']:.2f} | {r['latency_max']:.2f} | {r['mean_batch']:.1f} | "
            f"{'yes' if r['keeps_up'] else 'no'} |"
        )
    lines += [
        "",
        f"Rooms kept in real time: **{result['rooms_kept_realtime']}**. "
        f"Peak memory: {result['peak_memory_gib']:.2f} GiB ({result['peak_memory_kind']}).",
        "",
    ]
    return "\n".join(lines)


def write_results(result: dict[str, Any], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    stem = f"rooms-{result['arch']}-{result['device_kind']}"
    json_path, md_path = out / f"{stem}.json", out / f"{stem}.md"
    json_path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(markdown(result), encoding="utf-8")
    return json_path, md_path
