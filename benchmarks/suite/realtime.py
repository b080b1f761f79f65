"""Rooms kept in real time, and the latencies they saw (both from one rooms measurement)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from benchmarks.rooms import AsrModeComparison, RoomsCapacity, RoomsRun
from benchmarks.rooms.asr_batch import ASR_MODES
from benchmarks.suite.context import SuiteContext
from benchmarks.suite.report import Section, Table, ratio
from monitor.observations.asr import AsrOptions

__all__ = ["capacity_dict", "latency_section", "rooms_section"]


def capacity_dict(c: RoomsCapacity) -> dict[str, Any]:
    """JSON form of the rooms measurement, with the derived figures."""
    out = asdict(c)
    out["max_kept"] = c.max_kept
    out["decode_share"] = round(c.decode_share, 4)
    out["asr_bound_rooms"] = None if c.asr_bound_rooms is None else round(c.asr_bound_rooms, 2)
    if c.asr_modes is not None:
        modes = c.asr_modes
        speedups = {m: round(modes.speedup(m), 2) for m in ASR_MODES}
        out["asr_modes"] |= {"fastest": modes.fastest, "speedup_vs_plain": speedups}
    return out


_MODE_NAMES = {
    "plain": "plain faster-whisper, one by one (baseline)",
    "window": "15 s window, batched (livemon watch)",
    "pipeline": "BatchedInferencePipeline",
}


def _asr_table(m: AsrModeComparison) -> Table:
    rows = tuple(
        (_MODE_NAMES[mode], f"{m.seconds[mode]:.2f}", f"{m.audio_s / m.seconds[mode]:.2f}",
         f"{ratio(m.seconds['plain'], m.seconds[mode])}")
        for mode in ASR_MODES
    )
    return Table(
        f"ASR batch mode: {m.utterances} utterances ({m.audio_s:.1f} s of speech) as one batch",
        ("mode", "seconds", "× real time", "speed vs plain"),
        rows,
    )


def _runs_table(runs: tuple[RoomsRun, ...]) -> Table:
    rows = tuple(
        (
            str(r.rooms),
            f"{r.speech.p95:.2f}",
            f"{r.screen.p95:.2f}",
            f"{max(r.speech.slope, r.screen.slope):+.3f}",
            f"{r.backlog_max} / {r.backlog_at_end}",
            f"{r.ocr_reads}/{r.frames}",
            f"{r.asr_mean_batch:.1f}",
            "yes" if r.kept else "no",
            r.reason,
        )
        for r in runs
    )
    return Table(
        "Room counts tried",
        ("rooms", "speech p95 s", "screen p95 s", "latency slope s/s", "backlog max / at end", "OCR reads",
         "mean ASR batch", "kept", "why"),
        rows,
    )


def rooms_section(ctx: SuiteContext) -> Section:
    c = ctx.rooms
    o = c.options
    tables = [Table("Rooms kept in real time", ("measure", "value"), (
        ("largest room count kept", str(c.max_kept)),
        ("rooms the ASR throughput alone would serve, no latency bound (× real time ÷ speech share "
         f"{c.speech_share:.0%})", "n/a" if c.asr_bound_rooms is None else f"{c.asr_bound_rooms:.2f}"),
        ("rule", f"p95 ≤ {o.rule.max_p95_s:g} s, latency slope ≤ {o.rule.max_slope:g} s/s, all items back"),
        ("stream per room count", f"{o.seconds:g} s, rooms offset by 17 s in the demo"),
        ("ASR mode used", o.asr_mode),
    ))]
    if c.asr_modes is not None:
        tables.append(_asr_table(c.asr_modes))
    tables.append(_runs_table(c.runs))
    notes = (
        "decode excluded: the demo is decoded once beforehand; decoding it cost "
        f"{c.decode_seconds:.2f} s for {c.stream_seconds:.1f} s of stream ({c.decode_share:.1%} of a core-second "
        "per stream second), which each room would add",
        f"one shared model each: faster-whisper (production FasterWhisperAsr, beam {AsrOptions().beam_size}, int8), "
        "RapidOCR behind each room's text change gate, the scan's claim engine (rules + classifier); "
        "one BatchScheduler per model",
        "rooms replay the same recording, so repeated texts hit the claim engine's LRU cache; claim checks "
        "are milliseconds against seconds of ASR, so this barely moves the latencies",
    )
    return Section("rooms", "ok", capacity_dict(c), tuple(tables), notes)


def latency_section(ctx: SuiteContext) -> Section:
    c = ctx.rooms
    rows = []
    data = []
    for r in c.runs:
        for kind, s in (("speech", r.speech), ("screen", r.screen)):
            back = f"{s.completed}/{s.expected}"
            rows.append((str(r.rooms), kind, f"{s.p50:.2f}", f"{s.p95:.2f}", f"{s.max:.2f}", back))
            data.append({"rooms": r.rooms, "kind": kind, **asdict(s)})
    table = Table(
        "Latency from utterance end (speech) or frame time (screen) to its claim check, seconds",
        ("rooms", "kind", "p50", "p95", "max", "back / expected"),
        tuple(rows),
    )
    notes = (f"from the rooms run ({c.options.seconds:g} s of stream per room count); items not back by the "
             "deadline are not in the percentiles",)
    return Section("latency", "ok", {"runs": data}, (table,), notes)
