"""Throughput: the full scan beside plain faster-whisper, and OCR with the change gate beside OCR of every frame."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import av

from benchmarks.suite.context import SuiteContext
from benchmarks.suite.report import Section, Table, ratio
from monitor.media.types import SampledFrame
from monitor.observations.ocr import OcrEngine
from monitor.scheduling.workers import GatedOcr

__all__ = ["ocr_gate_vs_all", "throughput_section", "trim_media"]


def trim_media(src: Path, dst: Path, seconds: float) -> Path:
    """Copy the first ``seconds`` of ``src`` to ``dst`` without re-encoding."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        kept = [s for s in inp.streams if s.type in ("audio", "video")]
        streams = {s.index: out.add_stream_from_template(s) for s in kept}
        for packet in inp.demux(*kept):
            if packet.dts is None or packet.pts is None or packet.time_base is None:
                continue
            if float(packet.pts * packet.time_base) >= seconds:
                continue
            packet.stream = streams[packet.stream.index]
            out.mux(packet)
    return dst


def ocr_gate_vs_all(ocr: OcrEngine, frames: Sequence[SampledFrame]) -> dict[str, Any]:
    """Seconds to read ``frames`` one by one as the scan does: through the change gate, and every frame."""
    ocr.read([frames[0].image])  # warm-up
    gated = GatedOcr(ocr)
    started = time.perf_counter()
    for f in frames:
        gated([(0, f)])
    gated_s = time.perf_counter() - started
    started = time.perf_counter()
    for f in frames:
        ocr.read([f.image])
    all_s = time.perf_counter() - started
    return {
        "frames": len(frames),
        "ocr_reads_gated": gated.reads,
        "gated_seconds": round(gated_s, 3),
        "every_frame_seconds": round(all_s, 3),
        "speedup": ratio(all_s, gated_s),
    }


def _scan_vs_baseline(media: Path, seconds: float | None, repeats: int) -> dict[str, Any]:
    from benchmarks.speed.scan_speed import measure

    if seconds is None:
        return measure(media, repeats)
    with tempfile.TemporaryDirectory(prefix="livemon-bench-") as tmp:
        clip = trim_media(media, Path(tmp) / f"{media.stem}-{seconds:g}s.mp4", seconds)
        result = measure(clip, repeats)
    result["media"] = f"{media} (first {seconds:g} s)"
    return result


def _tables(scan: dict[str, Any], ocr: dict[str, Any]) -> tuple[Table, ...]:
    base = scan["baseline_faster_whisper"]
    s = scan["scan"]
    speed = Table(
        "Speed beside its baseline",
        ("measure", "livemon", "baseline", "ratio"),
        (
            (
                "full scan vs plain faster-whisper, × real time",
                f"{s['x_realtime']:.2f}",
                f"{base['x_realtime']:.2f}",
                f"{ratio(s['x_realtime'], base['x_realtime'])} (scan/baseline)",
            ),
            (
                "OCR with change gate vs every frame, seconds",
                f"{ocr['gated_seconds']:.2f} ({ocr['ocr_reads_gated']}/{ocr['frames']} read)",
                f"{ocr['every_frame_seconds']:.2f}",
                f"{ocr['speedup']}× faster with the gate",
            ),
        ),
    )
    stages = [k for k in s if k.endswith("_seconds") and k != "stream_seconds"]
    breakdown = Table(
        f"Scan time by stage ({scan['stream_seconds']:.1f} s of stream)",
        ("stage", "seconds"),
        tuple((k.removesuffix("_seconds"), f"{s[k]:.2f}") for k in stages),
    )
    return speed, breakdown


def throughput_section(ctx: SuiteContext) -> Section:
    p = ctx.plan
    ctx.hook("throughput", 0, 2)
    scan = _scan_vs_baseline(ctx.media, p.scan_seconds, p.scan_repeats)
    ctx.hook("throughput", 1, 2)
    frames = ctx.recording.frames[: p.ocr_frames]
    ocr = ocr_gate_vs_all(ctx.engines.ocr, frames)  # type: ignore[arg-type]
    ctx.hook("throughput", 2, 2)
    notes = (
        "full scan = decode + ASR + OCR (change gate) + face analysis + claims, default options; baseline = "
        "faster-whisper's decode_audio + transcribe with the same model, beam and VAD "
        "(benchmarks.speed.scan_speed.measure, best of its repeats after a warm-up)",
        "OCR figures: the demo's 1 fps frames, one at a time, decode excluded",
    )
    return Section("throughput", "ok", {"scan": scan, "ocr": ocr}, _tables(scan, ocr), notes)
