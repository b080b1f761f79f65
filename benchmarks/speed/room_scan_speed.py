"""How fast ``livemon scan`` runs on a live-room recording with a host in view, with and without face analysis.

    python -m benchmarks.speed.room_scan_speed [--framing vertical-1080x1920] [--seconds 60] [--repeats 2]

The recording is generated: the host (the astronaut photo, moving as the human-like
clips do) in a room of the given framing at 25 fps, with the demo stream's speech as
its audio. The same scan options run twice, faces on and off, in the same run; the
default face window (45 s per 600 s) covers most of a 60 s clip, so this is the
face pass's heaviest duty, not a long stream's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

import av
import numpy as np

from benchmarks import RESULTS_DIR
from benchmarks.digital_human.framing import framing_named, room_frame
from benchmarks.digital_human.scenario import Scenario, timeline
from benchmarks.suite.machine import describe_machine
from monitor.config import load_options
from monitor.demo.cache import cached_folder, demo_stream
from monitor.demo.mux import write_media
from monitor.pipeline.engines import build_engines
from monitor.pipeline.scan import scan

__all__ = ["measure", "room_recording"]

FPS = 25
SR = 16_000


def demo_speech(seconds: float) -> np.ndarray:
    """The demo stream's audio, 16 kHz mono, looped to ``seconds``."""
    with av.open(str(demo_stream()[0])) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SR)
        chunks = [
            out.to_ndarray().reshape(-1)
            for frame in container.decode(audio=0)
            for out in resampler.resample(frame)
        ]
    audio = np.concatenate(chunks).astype(np.float32)
    return np.resize(audio, int(seconds * SR))


def room_recording(framing_name: str, seconds: float) -> Path:
    """A cached MP4 of a host speaking in a room of ``framing_name``."""
    framing = framing_named(framing_name)
    poses = timeline(Scenario("human", "no_label", 0, seconds=12.0, fps=FPS)).poses

    def build(folder: Path) -> None:
        def frame_at(i: int) -> np.ndarray:
            return room_frame(framing, framing.host_face_px, poses[i % len(poses)])

        write_media(folder / "room.mp4", duration=seconds, audio=demo_speech(seconds), sample_rate=SR,
                    frame_at=frame_at, fps=FPS)

    key = hashlib.sha256(f"room-scan-1|{framing_name}|{seconds}".encode()).hexdigest()[:12]
    return cached_folder(f"room-{framing_name}-{seconds:g}s", key, build) / "room.mp4"


def measure(media: Path, repeats: int) -> dict[str, Any]:
    """Best-of-``repeats`` scans with faces on and off, their speed and stage seconds."""
    runs: dict[str, Any] = {}
    for faces in (True, False):
        options = load_options(faces=faces)
        engines = build_engines(options)
        scan(str(media), options, engines)  # warm-up
        best = min((scan(str(media), options, engines) for _ in range(repeats)),
                   key=lambda r: r.stats["wall_seconds"])
        stats = best.stats
        runs["faces_on" if faces else "faces_off"] = {
            **{k: round(v, 3) if isinstance(v, float) else v for k, v in stats.items()},
            "x_realtime": round(stats["stream_seconds"] / stats["wall_seconds"], 2),
            "dh_judgement": best.digital_human.judgement.status if best.digital_human else None,
            "face_view": best.digital_human.view.describe() if best.digital_human else None,
        }
    on, off = runs["faces_on"], runs["faces_off"]
    return {**runs, "faces_on_vs_off_time_ratio": round(on["wall_seconds"] / off["wall_seconds"], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framing", default="vertical-1080x1920")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args()
    media = room_recording(args.framing, args.seconds)
    result = {
        "command": f"python -m benchmarks.speed.room_scan_speed --framing {args.framing} --seconds {args.seconds:g}",
        "framing": args.framing,
        "machine": describe_machine("cpu"),
        **measure(media, args.repeats),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"room_scan_speed_{args.framing}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
