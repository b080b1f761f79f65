"""What a watched room's record holds in the Python heap per hour of stream: written as parts as it is watched,
or held until the room ends.

    python -m benchmarks.speed.watch_heap [--short 3] [--minutes 10] [--part-items N]

One process, under tracemalloc. Two looped demo streams of ``--short`` and ``--minutes``
(:func:`benchmarks.speed.long_streams.long_stream`; both past the first 120 s of audio the voice's
pitch is measured on, which a room holds whatever its length) are each watched into a new store twice: once with the
record's parts of the default size (about ten minutes of stream each: what ``watch`` does now; or
``--part-items``) and once with
parts too large to ever fill, so every line heard, frame read and face frame is held until the room ends (what
``watch`` did before). The heap is read when the room's record is about to be stored (every room has ended,
every finding is written); the difference between the two streams over the difference in their length is
what a room's record costs per hour of watching. Before this change a room also held every finding as a dict
until it ended: that is measured too (the stored findings read back as the dicts it kept).

The models are stand-ins (every utterance heard as one claim line, every sampled frame read as one caption),
so the figures are the record's, not the models'; speech and frames are cut and sampled as in a real watch.
Results go to ``benchmarks/results/watch_heap.{json,md}``.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import platform
import tempfile
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import RESULTS_DIR, write_results
from benchmarks.speed.long_streams import long_stream
from monitor.config import load_options
from monitor.demo.cache import demo_stream
from monitor.media.types import AudioPCM
from monitor.observations.types import TextBox, TranscriptSegment
from monitor.pipeline import watch as watch_module
from monitor.pipeline.engines import Engines, build_claim_engine
from monitor.pipeline.watch import WatchOptions, watch
from monitor.store import Store

__all__ = ["measure"]

MIB = 1024 * 1024
HELD_WHOLE = 10**9
"""Items per part that no stream fills: the record is held until the room ends."""


class HeardClaim:
    """Hears every utterance as one line with a claim in it."""

    name = "heard-claim"

    def transcribe(self, audio: AudioPCM, on_progress: object = None) -> list[TranscriptSegment]:
        end = audio.start + len(audio.samples) / audio.sample_rate
        return [TranscriptSegment(round(audio.start, 3), round(end, 3), f"全网最低价，今天下单立减 {audio.start:.1f}")]


class ReadCaption:
    """Reads every frame as one caption line."""

    name = "read-caption"

    def __init__(self) -> None:
        self.reads = itertools.count()

    def read(self, images: Sequence[np.ndarray]) -> list[tuple[TextBox, ...]]:
        return [(TextBox(f"欢迎来到直播间 关注主播领优惠券 {next(self.reads)}", (0.0, 0.0, 90.0, 20.0), 0.9),)
                for _ in images]


def _one(path: Path, part_items: int | None) -> dict[str, Any]:
    options = load_options().model_copy(update={"faces": False, "speaker_turns": False})
    engines = Engines(build_claim_engine(classifier="none"), HeardClaim(), ReadCaption())
    held: list[int] = []
    store_room = watch_module._store_room

    def measured(store: Store, room: Any, options: Any, engines: Any) -> None:
        gc.collect()
        held.append(tracemalloc.get_traced_memory()[0])
        store_room(store, room, options, engines)

    with tempfile.TemporaryDirectory(prefix="livemon-watch-heap-") as folder, Store.open(Path(folder)) as store:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        watch_module._store_room = measured
        try:
            [state] = watch([str(path)], options, engines, lambda finding, snapshot: None,
                            WatchOptions(part_items=part_items), store=store)
        finally:
            watch_module._store_room = store_room
        [(key, _)] = store.stored_sources()
        gc.collect()
        base = tracemalloc.get_traced_memory()[0]
        findings = {f["id"]: f for f, _ in store.current_findings(key)}  # what the room kept before, as dicts
        findings_mib = (tracemalloc.get_traced_memory()[0] - base) / MIB
        del findings
    return {
        "stream_seconds": round(state.stream_seconds, 1), "utterances": state.utterances, "frames": state.frames,
        "findings": state.findings, "held_mib": round((held[0] - before) / MIB, 3),
        "finding_dicts_mib": round(findings_mib, 3),
    }


def _per_hour(short: dict[str, Any], long: dict[str, Any], field: str) -> float:
    hours = (long["stream_seconds"] - short["stream_seconds"]) / 3600
    return round((long[field] - short[field]) / hours, 2)


def measure(short: float, minutes: float, part_items: int | None = None) -> dict[str, Any]:
    tracemalloc.start()
    demo, _ = demo_stream()
    _one(demo, None)  # warm-up: lazy imports, the VAD model, first-call allocations
    streams = {"short": long_stream(short), "long": long_stream(minutes)}
    runs = {name: {kind: _one(path, items) for kind, items in (("parts", part_items), ("held", HELD_WHOLE))}
            for name, path in streams.items()}
    tracemalloc.stop()
    return {
        "command": f"python -m benchmarks.speed.watch_heap --short {short:g} --minutes {minutes:g}"
                   + (f" --part-items {part_items}" if part_items else ""),
        "part_items": part_items,
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.processor() or platform.platform()}",
        "runs": runs,
        "per_hour_mib": {
            "written_as_parts": _per_hour(runs["short"]["parts"], runs["long"]["parts"], "held_mib"),
            "held_until_the_end": _per_hour(runs["short"]["held"], runs["long"]["held"], "held_mib"),
            "finding_dicts_held_before": _per_hour(runs["short"]["held"], runs["long"]["held"], "finding_dicts_mib"),
        },
    }


def _markdown(r: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {name} | {kind} | {v['stream_seconds']} | {v['utterances']} | {v['frames']} | {v['findings']} | "
        f"{v['held_mib']} | {v['finding_dicts_mib']} |"
        for name, kinds in r["runs"].items() for kind, v in kinds.items()
    )
    hour = r["per_hour_mib"]
    return (
        "# A watched room's record in the Python heap: written as parts, or held until the room ends\n\n"
        f"`{r['command']}` on {r['machine']}; one process, tracemalloc (Python heap only), stand-in models.\n\n"
        "| stream | record | stream s | utterances | frames | findings | heap held when the room ends, MiB "
        "| its findings as dicts, MiB |\n|---|---|---|---|---|---|---|---|\n"
        f"{rows}\n\nPer hour of stream: written as parts {hour['written_as_parts']} MiB; held until the end "
        f"{hour['held_until_the_end']} MiB, plus {hour['finding_dicts_held_before']} MiB of finding dicts "
        "(what a room held before this change).\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", type=float, default=3.0)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--part-items", type=int, default=None,
                        help="items in each part of the record (default: each kind's own, about ten minutes)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "watch_heap")
    args = parser.parse_args()
    result = measure(args.short, args.minutes, args.part_items)
    write_results(args.out, result, _markdown(result))
    print(_markdown(result))


if __name__ == "__main__":
    main()
