"""Soak: live rooms watched for a long run through forced disconnects; memory, backlog and findings judged.

``python -m benchmarks.rooms.soak [--minutes 20] [--rooms 2] [--disconnects 2]``

Each room is the demo room looped to the run's length (:mod:`benchmarks.rooms.soak_media`), served as a
live sliding HLS playlist on a local socket (:class:`monitor.demo.live_hls.LiveHls`, 2 s segments, 10 in
the playlist), room ``r`` joined 17·r s further into the loop. Each room's server refuses connections
``--disconnects`` times, for ``--outage`` seconds, at different moments per room, and says ``#EXT-X-ENDLIST`` once
the run's length is out (the broadcast ended). The rooms are watched by ``livemon watch``'s own code path (the
options of ``load_options``, the engines of ``build_engines``, ``watch`` with the CLI's
``WatchOptions`` and a JSONL appender), with its reconnects. The process's RSS and Python heap, each
room's backlog, stream time and reconnects are sampled every ``--sample`` seconds
(:mod:`benchmarks.rooms.soak_sampler`). Judged (:mod:`benchmarks.rooms.soak_verdict`,
:mod:`benchmarks.rooms.soak_truth`): RSS at the end within 10 % of RSS after the first minute, no
growing backlog, and every planted claim of every loop the room was sent whole found once.
Writes ``benchmarks/results/soak.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks import RESULTS_DIR, write_results
from benchmarks.rooms.soak_media import LoopedStream, loop_stream
from benchmarks.rooms.soak_sampler import Sample, Sampler
from benchmarks.rooms.soak_truth import Completeness, appearances, covered_spans, match_findings, outside
from benchmarks.rooms.soak_verdict import backlog_verdict, memory_verdict, not_reading, ratio_from
from benchmarks.suite.machine import describe_machine
from monitor.config import load_options
from monitor.demo.cache import demo_stream
from monitor.demo.live_hls import LiveHls
from monitor.demo.truth import StreamTruth
from monitor.findings import CLAIM_CATEGORIES
from monitor.pipeline.engines import build_engines, resolve_device
from monitor.pipeline.watch import WatchOptions, watch
from monitor.results import RoomState
from monitor.sinks.jsonl import FindingAppender

__all__ = ["outage_plan", "run_soak"]

MISSING_LISTED = 12
"""Missing claims listed per room in the Markdown."""
PREROLL_S = 4.0
WINDOW = 10
"""Segments in the live playlist (20 s): FFmpeg joins 3 segments behind the edge, so a reader may fall
14 s behind its join point before segments scroll out of the playlist unread."""
ROOM_OFFSET_S = 17.0
"""Room ``r`` joins the looped demo room ``r × 17 s`` further in, so rooms do not speak in step."""
QUIET_START_S = 75.0
"""No outage before this: the memory baseline is taken after the first minute."""
OUTAGE_MARGIN_S = 10.0
"""Stream seconds either side of an outage where a claim need not be found: a reader is 3 segments (6 s)
behind the live edge when its server goes down, and its first reopening after the server is back may wait
a few seconds more (the backoff)."""
QUIET_END_S = 45.0
"""No outage in the run's last seconds: the backlog at the end is judged on rooms that are back."""


def outage_plan(
    rooms: int, disconnects: int, seconds: float, shortest: float, longest: float, seed: int = 17,
) -> list[list[tuple[float, float]]]:
    """Per room, ``disconnects`` (start, end) outages in run seconds, at different moments per room.

    The outage-free part of the run is cut into one slot per disconnect; room ``r``'s outage sits at
    ``(r + 1) / (rooms + 1)`` of its slot's free room (jittered a little), lasting between ``shortest``
    and ``longest`` seconds.
    """
    if disconnects <= 0:
        return [[] for _ in range(rooms)]
    lo, hi = QUIET_START_S, seconds - QUIET_END_S
    slot = (hi - lo) / disconnects
    if slot < longest + 5.0:
        raise ValueError(
            f"{disconnects} outages of up to {longest:g} s do not fit between {lo:g} s and {hi:g} s of a "
            f"{seconds:g} s run: run longer or give shorter --outage"
        )
    rng = random.Random(seed)
    plan: list[list[tuple[float, float]]] = []
    for r in range(rooms):
        outages = []
        for k in range(disconnects):
            length = rng.uniform(shortest, longest)
            free = slot - length
            at = min(free, max(0.0, free * (r + 1) / (rooms + 1) + rng.uniform(-0.05, 0.05) * free))
            start = lo + k * slot + at
            outages.append((round(start, 1), round(start + length, 1)))
        plan.append(outages)
    return plan


def _room_servers(stream: LoopedStream, rooms: int, seconds: float,
                  plan: Sequence[Sequence[tuple[float, float]]]) -> list[LiveHls]:
    servers = []
    for r in range(rooms):
        preroll = PREROLL_S + ROOM_OFFSET_S * r
        segments = [seg for seg, start in zip(stream.segments, stream.starts, strict=True)
                    if start + seg[1] <= preroll + seconds + 1e-6]
        outages = [(preroll + a, preroll + b) for a, b in plan[r]]
        servers.append(LiveHls(stream.folder, segments, outages, window=WINDOW, preroll=preroll, end_list=True))
    return servers


def _room_result(
    r: int, server: LiveHls, stream: LoopedStream, state: RoomState, samples: Sequence[Sample],
    findings: Sequence[dict[str, Any]], truth: StreamTruth, outages: Sequence[tuple[float, float]],
) -> tuple[dict[str, Any], Completeness]:
    served = server.served_segments()
    if not served:
        raise RuntimeError(f"room {r}'s server sent no segment: {state.error or state.warnings}")
    t0 = stream.starts[served[0][1]]
    spans = covered_spans((stream.starts[i] - t0, stream.starts[i] + stream.segments[i][1] - t0) for _, i in served)
    until = spans[-1][1]
    planted = appearances(truth, stream.loop_s, t0, until)
    mine = [f for f in findings if f["stream"] == server.url]
    clear = outside([(a - t0, b - t0) for a, b in server.outages], until, OUTAGE_MARGIN_S)
    completeness = match_findings(planted, clear, mine)
    of_sent = match_findings(planted, spans, mine)
    unsent = [a for a in completeness.missing if not any(s <= a.start and a.end <= e for s, e in spans)]
    lags = [s.rooms[r].server_s - t0 - s.rooms[r].stream_s for s in samples if s.rooms[r].status == "watching"]
    gaps = [round(b[0] - a[1], 1) for a, b in zip(spans, spans[1:], strict=False)]
    result = {
        "url": server.url,
        "status": state.status,
        "error": state.error,
        "warnings": state.warnings,
        "stream_s": round(state.stream_seconds, 1),
        "joined_at_stream_s": round(t0, 2),
        "outages_scheduled_s": [[round(a, 1), round(b, 1)] for a, b in outages],
        "reconnects": state.reconnects,
        "media_missed_s": gaps,
        "utterances": state.utterances,
        "frames": state.frames,
        "findings": len(mine),
        "digital_human_findings": sum(1 for f in mine if f["category"] not in CLAIM_CATEGORIES),
        "lag_behind_live_s": {"p50": _q(lags, 50), "p95": _q(lags, 95), "max": round(max(lags, default=0.0), 2)},
        "claims": {
            "expected": completeness.expected, "found_once": completeness.found_once,
            "missing": [{**asdict(a), "why": "not sent" if a in unsent else "sent, not found"}
                        for a in completeness.missing],
            "duplicated": [{**asdict(a), "findings": n} for a, n in completeness.duplicated],
            "at_outage_edges": completeness.at_edges, "extra": completeness.extra,
        },
        "claims_of_media_sent": {
            "expected": of_sent.expected, "found_once": of_sent.found_once,
            "missing": [asdict(a) for a in of_sent.missing],
            "duplicated": [{**asdict(a), "findings": n} for a, n in of_sent.duplicated],
        },
    }
    return result, completeness


def _q(values: Sequence[float], q: float) -> float:
    import numpy as np

    return round(float(np.percentile(values, q)), 2) if values else 0.0


def run_soak(minutes: float, rooms: int, disconnects: int, outage: tuple[float, float], sample_s: float,
             faces: bool, seed: int, findings_out: Path | None = None,
             trim_memory_s: float | None = WatchOptions().trim_memory_s) -> dict[str, Any]:
    """Run the soak and judge it; the result (also written by :func:`main`); the findings to ``findings_out``."""
    seconds = minutes * 60.0
    plan = outage_plan(rooms, disconnects, seconds, *outage, seed=seed)
    video, truth_path = demo_stream()
    truth = StreamTruth.load(truth_path)
    options = load_options(faces=None if faces else False)
    engines = build_engines(options)
    with tempfile.TemporaryDirectory(prefix="livemon-soak-") as tmp:
        stream = loop_stream(video, seconds + PREROLL_S + ROOM_OFFSET_S * rooms + 4.0, Path(tmp) / "hls")
        servers = _room_servers(stream, rooms, seconds, plan)
        sampler = Sampler([s.url for s in servers], [s.now for s in servers], sample_s)
        out = Path(tmp) / "soak.jsonl"
        load_before = os.getloadavg()
        started = time.monotonic()
        with FindingAppender(out) as sink:
            for server in servers:
                server.start()
            sampler.start()
            try:
                states = watch([s.url for s in servers], options, engines, sink,
                               WatchOptions(trim_memory_s=trim_memory_s), on_tick=sampler.tick)
            finally:
                for server in servers:
                    server.stop()
        wall = time.monotonic() - started
        findings = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        if findings_out is not None:
            shutil.copyfile(out, findings_out)
        samples = sampler.samples
        per_room = [_room_result(r, servers[r], stream, states[r], samples, findings, truth, plan[r])
                    for r in range(rooms)]
    on_air = [s for s in samples if any(room.status in ("watching", "reconnecting") for room in s.rooms)]
    memory = memory_verdict([s.t for s in on_air], [s.rss_mib for s in on_air])
    latencies = [pair for state in states for kind in ("speech", "screen") for pair in state.timings[kind]]
    backlog = backlog_verdict([s.t for s in on_air], [sum(room.backlog for room in s.rooms) for s in on_air],
                              latencies)
    heap = memory_verdict([s.t for s in on_air], [float(s.heap_blocks) for s in on_air])
    native = [s for s in on_air if s.native_in_use_mib is not None and s.native_free_mib is not None]
    complete = all(c.complete for _, c in per_room)
    loads = [s.load_1min for s in samples]
    return {
        "command": " ".join(["python -m benchmarks.rooms.soak", *sys.argv[1:]]),
        "machine": describe_machine(resolve_device(options.device, options.asr_engine)),
        "load_average": {"before": [round(x, 2) for x in load_before], "mean_1min": _q(loads, 50),
                         "max_1min": round(max(loads, default=0.0), 2)},
        "minutes": minutes, "rooms": rooms, "disconnects": disconnects, "outage_s": list(outage), "seed": seed,
        "faces": options.faces, "asr_engine": options.asr_engine, "loop_s": stream.loop_s,
        "wall_s": round(wall, 1),
        "memory": asdict(memory),
        "python_heap_blocks": {"baseline": heap.baseline_mib, "end": heap.end_mib, "ratio": heap.ratio,
                               "peak": heap.peak_mib, "slope_per_10min": heap.slope_mib_per_10min},
        "native_heap_mib": _native(native, memory.baseline_at_s, trim_every_s=trim_memory_s),
        "threads": {"baseline": on_air[0].threads if on_air else 0, "end": on_air[-1].threads if on_air else 0,
                    "max": max((s.threads for s in on_air), default=0)},
        "backlog": asdict(backlog),
        "latency_s": {"p50": _q([lat for _, lat in latencies], 50), "p95": _q([lat for _, lat in latencies], 95),
                      "max": round(max((lat for _, lat in latencies), default=0.0), 2)},
        "rooms_detail": [room for room, _ in per_room],
        "verdict": {"memory_within_10pct": memory.kept, "backlog_not_growing": not backlog.growing,
                    "findings_complete": complete, "all": memory.kept and not backlog.growing and complete},
        "samples": [{"t": s.t, "rss_mib": s.rss_mib, "heap_blocks": s.heap_blocks,
                     "native_mib": [s.native_in_use_mib, s.native_free_mib], "threads": s.threads,
                     "load_1min": round(s.load_1min, 2),
                     "rooms": [[room.status[0], room.stream_s, room.backlog, room.reconnects] for room in s.rooms]}
                    for s in samples],
    }


def _native(samples: Sequence[Sample], baseline_at_s: float, trim_every_s: float | None) -> dict[str, Any] | None:
    """The C allocator's memory in use and freed-but-held, after the first minute and at the end: says whether
    an RSS that grew holds live allocations or freed pages (``None`` off glibc)."""
    if not samples:
        return None
    first = next((s for s in samples if s.t >= baseline_at_s), samples[-1])
    last = samples[-1]
    return {"trim_every_s": trim_every_s,
            "baseline": {"at_s": first.t, "in_use": first.native_in_use_mib, "free": first.native_free_mib},
            "end": {"at_s": last.t, "in_use": last.native_in_use_mib, "free": last.native_free_mib},
            "peak_free": max(s.native_free_mib or 0.0 for s in samples)}


def rejudge_memory(result: dict[str, Any]) -> dict[str, Any]:
    """``result`` with its memory verdict made again from its samples (by this version's statistic)."""
    on_air = [s for s in result["samples"] if any(room[0] in ("w", "r") for room in s["rooms"])]
    memory = memory_verdict([s["t"] for s in on_air], [s["rss_mib"] for s in on_air])
    verdict = {**result["verdict"], "memory_within_10pct": memory.kept}
    verdict["all"] = memory.kept and verdict["backlog_not_growing"] and verdict["findings_complete"]
    return {**result, "memory": asdict(memory), "verdict": verdict}


def phases(result: dict[str, Any]) -> dict[str, Any]:
    """What the samples show beyond the verdicts: when each room read nothing, the backlog's peak and when it
    drained, and memory over the run's second half."""
    samples = result["samples"]
    times = [s["t"] for s in samples]
    totals = [sum(room[2] for room in s["rooms"]) for s in samples]
    peak = max(range(len(totals)), key=totals.__getitem__) if totals else 0
    drained = next((times[i] for i in range(peak, len(totals)) if totals[i] <= 2), None)
    half = result["minutes"] * 30.0
    rss_at, rss_ratio = ratio_from(times, [s["rss_mib"] for s in samples], half)
    _, heap_ratio = ratio_from(times, [float(s["heap_blocks"]) for s in samples], half)
    return {
        "not_reading_s": [
            [[round(a, 1), round(b, 1)] for a, b in not_reading(times, [s["rooms"][r][1] for s in samples])]
            for r in range(result["rooms"])
        ],
        "backlog_peak": {"items": totals[peak] if totals else 0, "at_s": times[peak] if times else 0.0,
                         "drained_at_s": drained},
        "second_half": {"from_s": rss_at, "rss_ratio": round(rss_ratio, 4), "heap_blocks_ratio": round(heap_ratio, 4)},
    }


def _gaps(gaps: Sequence[float]) -> str:
    if not gaps:
        return "–"
    largest = ", ".join(f"{g:.0f}" for g in sorted(gaps, reverse=True)[:3])
    return f"{sum(gaps):.0f} s in {len(gaps)} gap(s); largest {largest}"


def _native_line(native: dict[str, Any] | None) -> list[str]:
    if native is None:
        return []
    a, b = native["baseline"], native["end"]
    trim = f"free pages handed back every {native['trim_every_s']:g} s" if native["trim_every_s"] else "never trimmed"
    return [
        "",
        f"C allocator (glibc, {trim}): in use {a['in_use']:.0f} MiB after the first minute, {b['in_use']:.0f} MiB "
        f"at the end; freed but held {a['free']:.0f} → {b['free']:.0f} MiB (peak {native['peak_free']:.0f} MiB).",
    ]


def _markdown(result: dict[str, Any]) -> str:
    m, b, v = result["memory"], result["backlog"], result["verdict"]
    load = result["load_average"]
    lines = [
        f"# Soak: {result['rooms']} live rooms for {result['minutes']:g} minutes, {result['disconnects']} forced "
        "disconnects each",
        "",
        f"Command: `{result['command']}`. Machine: {result['machine']['cpu']} ({result['machine']['cores']} cores), "
        f"device {result['machine']['device']}; ASR {result['asr_engine']}, "
        f"faces {'on' if result['faces'] else 'off'}. "
        f"Shared with other work while measured: load average {load['before'][0]:.1f} at the start, "
        f"median {load['mean_1min']:.1f}, max {load['max_1min']:.1f} (1 min) — figures of a busy machine.",
        "",
        "| check | figure | kept |",
        "|---|---|---|",
        f"| RSS at the end within {m['tolerance']:.0%} of RSS after the first minute (medians over a minute) | "
        f"{m['end_mib']:.0f} MiB in the minute to {m['end_at_s']:.0f} s against {m['baseline_mib']:.0f} MiB in the "
        f"minute from {m['baseline_at_s']:.0f} s: "
        f"{m['ratio']:.3f}x; slope {m['slope_mib_per_10min']:+.1f} MiB per 10 min; peak {m['peak_mib']:.0f} MiB | "
        f"{v['memory_within_10pct']} |",
        f"| no growing backlog | mean {b['start_mean']:.2f} items after the first minute, {b['end_mean']:.2f} in "
        f"the last; max {b['max']}, p95 {b['p95']:.1f}; slope {b['slope_per_10min']:+.2f} items per 10 min; "
        f"claim-check latency p50 {result['latency_s']['p50']:.2f} s, p95 {result['latency_s']['p95']:.2f} s, growth "
        f"{b['latency_growth_s_per_10min']:+.3f} s per 10 min ({b['reason']}) | {v['backlog_not_growing']} |",
    ]
    rooms = result["rooms_detail"]
    claims = ", ".join(
        f"room {i}: {r['claims']['found_once']}/{r['claims']['expected']} found once, "
        f"{len(r['claims']['missing'])} missing, {len(r['claims']['duplicated'])} duplicated, "
        f"{len(r['claims']['extra'])} extra; of the media sent: {r['claims_of_media_sent']['found_once']}/"
        f"{r['claims_of_media_sent']['expected']}" for i, r in enumerate(rooms)
    )
    lines += [f"| findings complete | {claims} | {v['findings_complete']} |", ""]
    h = result["python_heap_blocks"]
    lines += [
        f"Python heap (allocated blocks): {h['baseline']:.0f} after the first minute, {h['end']:.0f} at the "
        f"end ({h['ratio']:.3f}x), slope {h['slope_per_10min']:+.0f} blocks per 10 min. Threads: "
        f"{result['threads']['baseline']} after the first minute, {result['threads']['end']} at the end, "
        f"max {result['threads']['max']}.",
        *_native_line(result.get("native_heap_mib")),
        "",
        "| room | status | stream read | outages (run s) | reconnects | media missed (s) | lag behind live p50/p95 | "
        "claims found once / expected | at outage edges | findings (digital human) |",
        "|---:|---|---:|---|---:|---|---|---|---:|---|",
    ]
    for i, r in enumerate(rooms):
        outs = ", ".join(f"{a:.0f}–{b:.0f}" for a, b in r["outages_scheduled_s"])
        lag = r["lag_behind_live_s"]
        lines.append(
            f"| {i} | {r['status']} | {r['stream_s']:.0f} s | {outs} | {r['reconnects']} | "
            f"{_gaps(r['media_missed_s'])} | {lag['p50']:.1f} / {lag['p95']:.1f} s | "
            f"{r['claims']['found_once']} / {r['claims']['expected']} | {r['claims']['at_outage_edges']} | "
            f"{r['findings']} ({r['digital_human_findings']}) |"
        )
    ph = result.get("phases") or phases(result)
    stalls = "; ".join(
        f"room {r}: " + (", ".join(f"{a:.0f}–{b:.0f} s" for a, b in spans) or "never")
        for r, spans in enumerate(ph["not_reading_s"])
    )
    peak, half = ph["backlog_peak"], ph["second_half"]
    drained = f"{peak['drained_at_s']:.0f} s" if peak["drained_at_s"] is not None else "never"
    lines += [
        "",
        f"Stream time not advancing for 20 s or more (an outage, or a room held back by its backlog): {stalls}. "
        f"Backlog peak {peak['items']} items at {peak['at_s']:.0f} s, back to 2 or fewer at "
        f"{drained}. Over the second half (from {half['from_s']:.0f} s): RSS {half['rss_ratio']:.3f}x, Python heap "
        f"blocks {half['heap_blocks_ratio']:.3f}x.",
        "", f"All kept: **{v['all']}**.", "",
    ]
    for i, r in enumerate(rooms):
        if len(r["claims"]["missing"]) > MISSING_LISTED:
            lines.append(f"- room {i}: {len(r['claims']['missing'])} missing, the first {MISSING_LISTED} below "
                         "(all in soak.json)")
        for a in r["claims"]["missing"][:MISSING_LISTED]:
            lines.append(f"- room {i} missing: loop {a['loop']} beat {a['beat']} {a['category']} ({a['source']}) at "
                         f"{a['start']:.1f}–{a['end']:.1f} s ({a['why']})")
        for a in r["claims"]["duplicated"]:
            lines.append(f"- room {i} found {a['findings']}x: loop {a['loop']} beat {a['beat']} {a['category']} "
                         f"({a['source']}) at {a['start']:.1f} s")
        for f in r["claims"]["extra"]:
            lines.append(f"- room {i} extra: {f['category']} ({f['source']}) at {f['start']:.1f} s")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--rooms", type=int, default=2)
    parser.add_argument("--disconnects", type=int, default=2, help="forced disconnects per room")
    parser.add_argument("--outage", type=float, nargs=2, default=(20.0, 40.0), metavar=("SHORTEST", "LONGEST"),
                        help="seconds each outage lasts, drawn between these")
    parser.add_argument("--sample", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--no-faces", action="store_true", help="without the face models (the CLI's --no-faces)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--trim-memory", type=float, default=WatchOptions().trim_memory_s, metavar="SECONDS",
                        help="the watch's allocator trim period (WatchOptions().trim_memory_s; 0: never trim)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "soak", help="results stem (.json and .md)")
    parser.add_argument("--render", action="store_true",
                        help="only write the .md (and phases) again from the .json; memory judged again from samples")
    args = parser.parse_args(argv)
    if args.render:
        result = rejudge_memory(json.loads(args.out.with_suffix(".json").read_text(encoding="utf-8")))
    else:
        findings = args.out.with_name(f"{args.out.name}_findings.jsonl")
        result = run_soak(args.minutes, args.rooms, args.disconnects, tuple(args.outage), args.sample,
                          not args.no_faces, args.seed, findings_out=findings,
                          trim_memory_s=args.trim_memory or None)
    result["phases"] = phases(result)
    markdown = _markdown(result)
    write_results(args.out, result, markdown)
    print(markdown)
    return result


if __name__ == "__main__":
    main()
