"""Full-scan speed on a vertical room with a moving, textured host and changing captions, every caption found.

    python -m benchmarks.speed.caption_room_speed [--framing vertical-720x1280] [--seconds 200]

The room is generated: the host of the digital-human benchmark (a photo in a patched,
patterned suit, swaying as the human-like clips do) at the framing's host position, 25 fps,
with the demo room's captions (its planted claims and its clean captions, on the demo's
timeline, looped) drawn over the picture as banners, and the demo's speech. The same scan
runs twice in one run: with the OCR gate (the default) and without it (every sampled frame
read: the baseline). A planted caption counts as found when a screen finding of its category
overlaps its time on screen.
"""

from __future__ import annotations

import argparse
import hashlib
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from benchmarks import RESULTS_DIR, write_results
from benchmarks.digital_human.framing import framing_named, room_frame
from benchmarks.digital_human.scenario import Scenario, timeline
from benchmarks.speed.room_scan_speed import FPS, SR, demo_speech
from benchmarks.suite.machine import describe_machine
from monitor.config import load_options
from monitor.demo.cache import cached_folder, demo_stream
from monitor.demo.mux import write_media
from monitor.demo.paths import font_path
from monitor.demo.truth import BeatTruth, StreamTruth
from monitor.pipeline.engines import build_engines
from monitor.pipeline.scan import scan

__all__ = ["caption_room", "measure"]

SLACK = 1.5
"""Seconds a finding may start before or end after its caption (one sampling interval and a half)."""


def _truth() -> StreamTruth:
    return StreamTruth.load(demo_stream()[1])


def _shown(truth: StreamTruth, t: float) -> BeatTruth | None:
    local = t % truth.duration
    return next((b for b in truth.beats if b.screen and b.start <= local < b.end), None)


@cache
def _banner(lines: tuple[str, ...], width: int) -> tuple[np.ndarray, np.ndarray]:
    """The caption as an RGB band and its alpha, as wide as the frame."""
    size = max(24, width // 20)
    font = ImageFont.truetype(str(font_path()), size)
    height = (size + size // 2) * len(lines) + size // 2
    band = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(band)
    draw.rectangle((0, 0, width, height), fill=(120, 0, 0, 170))
    for i, line in enumerate(lines):
        draw.text((size // 2, size // 4 + i * (size + size // 2)), line, font=font, fill=(255, 230, 0, 255))
    rgba = np.asarray(band).astype(np.float32)
    return rgba[:, :, :3], rgba[:, :, 3:] / 255.0


def caption_room(framing_name: str, seconds: float) -> Path:
    """A cached MP4 of the swaying, textured host with the demo's captions over it."""
    framing = framing_named(framing_name)
    poses = timeline(Scenario("human", "no_label", 0, seconds=12.0, fps=FPS)).poses
    truth = _truth()
    width, height = framing.size

    def frame_at(i: int) -> np.ndarray:
        frame = room_frame(framing, framing.host_face_px, poses[i % len(poses)])
        beat = _shown(truth, i / FPS)
        if beat is None:
            return frame
        rgb, alpha = _banner(beat.screen, width)
        top = int(height * 0.62)  # over the host's body, as live-room banners are
        region = frame[top : top + rgb.shape[0]].astype(np.float32)
        frame[top : top + rgb.shape[0]] = (rgb * alpha + region * (1 - alpha)).astype(np.uint8)
        return frame

    def build(folder: Path) -> None:
        write_media(folder / "room.mp4", duration=seconds, audio=demo_speech(seconds), sample_rate=SR,
                    frame_at=frame_at, fps=FPS)

    key = hashlib.sha256(f"caption-room-1|{framing_name}|{seconds}|{truth.script_digest}".encode()).hexdigest()[:12]
    return cached_folder(f"caption-room-{framing_name}-{seconds:g}s", key, build) / "room.mp4"


def planted_captions(truth: StreamTruth, seconds: float) -> list[tuple[float, float, str]]:
    """(start, end, category) of every planted caption claim over ``seconds`` of the looped timeline."""
    planted = []
    loop = 0.0
    while loop < seconds:
        for b in truth.screen_claims():
            if loop + b.start < seconds:
                planted += [(loop + b.start, min(loop + b.end, seconds), c) for c in b.screen_labels]
        loop += truth.duration
    return planted


def _found(planted: list[tuple[float, float, str]], findings: list[Any]) -> list[tuple[float, float, str]]:
    screen = [f for f in findings if f.source == "screen"]
    return [
        p for p in planted
        if any(f.category == p[2] and f.start < p[1] + SLACK and f.end > p[0] - SLACK for f in screen)
    ]


def measure(media: Path, seconds: float) -> dict[str, Any]:
    """One scan with the gate and one without, with their speed, OCR reads and captions found."""
    planted = planted_captions(_truth(), seconds)
    runs: dict[str, Any] = {}
    for gate in (True, False):
        options = load_options(text_gate=gate)
        engines = build_engines(options)
        result = scan(str(media), options, engines)
        stats = result.stats
        found = _found(planted, result.findings)
        runs["gate_on" if gate else "gate_off"] = {
            "stream_seconds": round(stats["stream_seconds"], 1),
            "wall_seconds": round(stats["wall_seconds"], 2),
            "x_realtime": round(stats["stream_seconds"] / stats["wall_seconds"], 2),
            "sampled_frames": stats["sampled_frames"],
            "ocr_frames": stats["ocr_frames"],
            "stage_seconds": {k[:-8]: round(v, 2) for k, v in stats.items() if k.endswith("_seconds")
                              and k not in ("stream_seconds", "wall_seconds")},
            "captions_planted": len(planted),
            "captions_found": len(found),
            "captions_missed": sorted({p[2] for p in planted} - {p[2] for p in found}),
        }
    on, off = runs["gate_on"], runs["gate_off"]
    return {**runs, "speed_gate_on_vs_off": round(off["wall_seconds"] / on["wall_seconds"], 2)}


def _markdown(r: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {name} | {v['x_realtime']} | {v['wall_seconds']} | {v['ocr_frames']} / {v['sampled_frames']} | "
        f"{v['captions_found']} / {v['captions_planted']} | "
        + ", ".join(f"{k} {s}" for k, s in v["stage_seconds"].items()) + " |"
        for name, v in (("OCR gate on (default)", r["gate_on"]), ("gate off: every frame read", r["gate_off"]))
    )
    return (
        "# Full scan of a room with a moving, textured host and changing captions\n\n"
        f"`{r['command']}` on {r['machine']['cpu']}, {r['machine']['cores']} cores. "
        f"Gate on is {r['speed_gate_on_vs_off']}x the speed of gate off (same run).\n\n"
        "| run | x real time | wall s | frames read by OCR | planted captions found | stage seconds |\n"
        "|---|---|---|---|---|---|\n"
        f"{rows}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framing", default="vertical-720x1280")
    parser.add_argument("--seconds", type=float, default=200.0)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "caption_room_speed")
    args = parser.parse_args()
    media = caption_room(args.framing, args.seconds)
    result = {
        "command": f"python -m benchmarks.speed.caption_room_speed --framing {args.framing} --seconds {args.seconds:g}",
        "framing": args.framing,
        "machine": describe_machine("cpu"),
        **measure(media, args.seconds),
    }
    write_results(args.out, result, _markdown(result))
    print(_markdown(result))


if __name__ == "__main__":
    main()
