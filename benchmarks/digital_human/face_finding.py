"""Is the host's face found at live-room framing? Found rate by framing and face size, false faces on
empty rooms, and the cost per sampled frame, for the scan's engine and the former one.

    python -m benchmarks.digital_human.face_finding [--seconds 3] [--out benchmarks/results]

``host_face``: :class:`HostFaceEngine` on the full frame (tiled search, landmarks on a
window around the host). ``baseline``: MediaPipe's landmarker on the frame scaled to
320 px wide, as scans ran before (measured in the same run). Frames are generated
(``benchmarks.digital_human.framing``): the host moves as the human-like clips do,
at three places in the frame; empty rooms have products, price tags and a cat photo.
A frame counts as found when the main face's centre lies within half a face height
of the drawn face's centre.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from rich.progress import track

from benchmarks import RESULTS_DIR
from benchmarks.digital_human.framing import FRAMINGS, POSE_FACE_PX, Framing, face_sizes, room_frame
from benchmarks.digital_human.scenario import Scenario, timeline
from benchmarks.suite.machine import describe_machine
from monitor.observations.faces import FaceEngine, MediaPipeFaceEngine
from monitor.observations.host_face import HostFaceEngine

__all__ = ["FaceCase", "cases", "main", "run_case"]

FPS = 12
BASELINE_WIDTH = 320
PLACES = {"host": None, "left": (0.27, 0.45), "right-low": (0.7, 0.58)}


@dataclass(frozen=True, slots=True)
class FaceCase:
    """One generated sequence: a framing, a face height (0 for an empty room) and where the host stands."""

    framing: Framing
    face_px: int
    place: str
    seed: int = 0


def cases(seeds: tuple[int, ...] = (0,)) -> list[FaceCase]:
    out = []
    for framing in FRAMINGS:
        for size in face_sizes(framing):
            out += [FaceCase(framing, size, place, seed) for place in PLACES for seed in seeds]
        out += [FaceCase(framing, 0, "empty", seed) for seed in (0, 1, 2, 3)]
    return out


def _centre(case: FaceCase, dx: float, dy: float) -> tuple[float, float]:
    w, h = case.framing.size
    share = PLACES.get(case.place) or case.framing.host_at
    x, y = share[0] * w, share[1] * h
    half = case.face_px / 2
    x, y = min(max(x, half + 4), w - half - 4), min(max(y, half + 4), h - half - 4)
    motion = case.face_px / POSE_FACE_PX
    return x + dx * motion, y + dy * motion


def _frames(case: FaceCase, seconds: float) -> Iterator[tuple[float, np.ndarray, tuple[float, float]]]:
    poses = timeline(Scenario("human", "no_label", case.seed, seconds=seconds, fps=FPS)).poses
    for i, pose in enumerate(poses):
        centre = _centre(case, 0.0, 0.0)
        rgb = room_frame(case.framing, case.face_px, pose, centre, seed=case.seed, host=case.face_px > 0)
        yield i / FPS, np.ascontiguousarray(rgb[:, :, ::-1]), _centre(case, pose.dx, pose.dy)


def _hit(b: tuple[float, ...], truth: tuple[float, float], face_px: float) -> bool:
    return float(np.hypot((b[0] + b[2]) / 2 - truth[0], (b[1] + b[3]) / 2 - truth[1])) <= face_px / 2


def _downscaled(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    if w <= BASELINE_WIDTH:
        return image
    size = (BASELINE_WIDTH, max(2, round(h * BASELINE_WIDTH / w / 2) * 2))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


ENGINES: dict[str, tuple[Callable[[], FaceEngine], Callable[[np.ndarray], np.ndarray]]] = {
    "host_face": (HostFaceEngine, lambda image: image),
    "baseline": (MediaPipeFaceEngine, _downscaled),
}


def run_case(case: FaceCase, engine_name: str, seconds: float) -> dict[str, Any]:
    """Frames with a face reported, frames where it was the drawn face, and engine seconds."""
    factory, prepare = ENGINES[engine_name]
    frames = list(_frames(case, seconds))
    reported = found = 0
    spent = 0.0
    engine = factory()
    try:
        for t, image, truth in frames:
            small = prepare(image)
            k = image.shape[1] / small.shape[1]
            start = time.perf_counter()
            faces = engine.detect(small, t)
            spent += time.perf_counter() - start
            if faces:
                reported += 1
                box = tuple(v * k for v in faces[0].box)
                found += case.face_px > 0 and _hit(box, truth, case.face_px)
    finally:
        engine.close()
    return {"frames": len(frames), "reported": reported, "found": found, "seconds": spent}


def _rate(rows: list[dict[str, Any]], key: str) -> float:
    frames = sum(r["frames"] for r in rows)
    return sum(r[key] for r in rows) / frames if frames else 0.0


def _ms_per_frame(rows: list[dict[str, Any]]) -> float:
    return 1000 * sum(r["seconds"] for r in rows) / max(1, sum(r["frames"] for r in rows))


def summarise(results: list[tuple[FaceCase, str, dict[str, Any]]]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for framing in FRAMINGS:
        per_engine: dict[str, Any] = {}
        for name in ENGINES:
            mine = [(c, r) for c, e, r in results if c.framing == framing and e == name]
            faces = [r for c, r in mine if c.face_px > 0]
            empty = [r for c, r in mine if c.face_px == 0]
            sizes = {str(s): _rate([r for c, r in mine if c.face_px == s], "found") for s in face_sizes(framing)}
            per_engine[name] = {
                "found_rate": _rate(faces, "found"),
                "found_by_face_px": sizes,
                "false_face_rate": _rate(empty, "reported"),
                "ms_per_frame": _ms_per_frame([r for _, r in mine]),
                "ms_per_frame_with_face": _ms_per_frame(faces),
                "ms_per_frame_empty": _ms_per_frame(empty),
            }
        table[framing.name] = per_engine
    return table


def markdown(summary: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        "# Finding the host's face at live-room framing",
        "",
        f"Command: `{meta['command']}`. Machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores.",
        f"Generated frames at {FPS} fps, {meta['seconds']:g} s per sequence; host at three places; "
        "empty rooms with products, price tags and a cat photo. `host_face` is the scan's engine; `baseline` "
        "is MediaPipe's landmarker on the frame scaled to 320 px wide (the former scan path), in the same run.",
        "",
        "## Found rate by face height (px)",
        "",
    ]
    for framing, engines in summary.items():
        sizes = list(engines["host_face"]["found_by_face_px"])
        lines += [f"### {framing}", "", "| engine | " + " | ".join(f"{s} px" for s in sizes) + " | all | false faces |",
                  "|---|" + "---|" * (len(sizes) + 2)]
        for name, v in engines.items():
            cells = " | ".join(f"{v['found_by_face_px'][s]:.0%}" for s in sizes)
            lines.append(f"| {name} | {cells} | {v['found_rate']:.1%} | {v['false_face_rate']:.1%} |")
        lines.append("")
    lines += ["## Cost per sampled frame (ms, face engine only)", "",
              "| framing | host_face with face | host_face empty room | baseline | host_face / baseline |",
              "|---|---|---|---|---|"]
    for framing, engines in summary.items():
        h, b = engines["host_face"], engines["baseline"]
        ratio = h["ms_per_frame"] / b["ms_per_frame"] if b["ms_per_frame"] else float("nan")
        lines.append(f"| {framing} | {h['ms_per_frame_with_face']:.1f} | {h['ms_per_frame_empty']:.1f} "
                     f"| {b['ms_per_frame']:.1f} | {ratio:.2f}x |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.digital_human.face_finding")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds of frames per sequence")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    work = [(case, name) for case in cases() for name in ENGINES]
    results = [(c, e, run_case(c, e, args.seconds)) for c, e in track(work, description="face finding")]
    summary = summarise(results)
    meta = {"command": "python -m benchmarks.digital_human.face_finding", "seconds": args.seconds,
            "machine": describe_machine("cpu")}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "face_finding.json").write_text(json.dumps({**meta, "framings": summary}, indent=2), encoding="utf-8")
    (args.out / "face_finding.md").write_text(markdown(summary, meta), encoding="utf-8")
    return summary


if __name__ == "__main__":
    main()
