"""How fast ``livemon scan`` runs, as a multiple of real time, beside plain faster-whisper.

    python -m benchmarks.speed.scan_speed [--media FILE] [--out benchmarks/results/scan_speed.json]

Both are measured in the same run on the same file and the same machine: the
baseline decodes the audio with faster-whisper's own ``decode_audio`` and
transcribes it with the same model and settings the scan uses (beam 5, VAD).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from monitor.config import load_options
from monitor.pipeline.engines import build_engines
from monitor.pipeline.scan import scan

__all__ = ["measure"]


def _baseline(media: Path, model: Any, beam_size: int) -> tuple[float, float]:
    """Seconds for plain faster-whisper (decode + transcribe) and the audio's duration."""
    from faster_whisper import decode_audio

    start = time.perf_counter()
    audio = decode_audio(str(media), sampling_rate=16_000)
    segments, _ = model.transcribe(audio, language="zh", beam_size=beam_size, vad_filter=True)
    list(segments)
    return time.perf_counter() - start, len(audio) / 16_000


def measure(media: Path, repeats: int = 2) -> dict[str, Any]:
    """Best-of-``repeats`` wall time of the full scan and of the baseline, with their ratio."""
    options = load_options()
    engines = build_engines(options)
    asr_model = engines.asr.model  # type: ignore[union-attr]
    scan(str(media), options, engines)  # warm-up: model load, first-call allocations
    scans = [scan(str(media), options, engines) for _ in range(repeats)]
    best = min(scans, key=lambda r: r.stats["wall_seconds"])
    baselines = [_baseline(media, asr_model, options.beam_size) for _ in range(repeats)]
    base_seconds, audio_seconds = min(baselines)
    stream = best.stats["stream_seconds"]
    return {
        "media": str(media),
        "stream_seconds": stream,
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.processor() or platform.platform()}",
        "device": "cpu",
        "scan": {**best.stats, "x_realtime": round(stream / best.stats["wall_seconds"], 2)},
        "baseline_faster_whisper": {
            "wall_seconds": round(base_seconds, 3),
            "x_realtime": round(audio_seconds / base_seconds, 2),
        },
        "scan_vs_baseline_time_ratio": round(best.stats["wall_seconds"] / base_seconds, 2),
        "findings": len(best.findings),
        "command": "python -m benchmarks.speed.scan_speed",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, help="file to scan (default: the generated demo stream)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/scan_speed.json"))
    args = parser.parse_args()
    media = args.media
    if media is None:
        from monitor.demo.cache import demo_stream

        media = demo_stream()[0]
    result = measure(media, args.repeats)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
