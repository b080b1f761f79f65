"""Run the digital-human detector on every benchmark clip; write JSON and Markdown results.

    python -m benchmarks.digital_human [--framings all] [--seeds 0,1]

Faces: :class:`HostFaceEngine` (the scan's) at 12 fps. OCR: RapidOCR on one frame per
second (as the scan does). Clips come in close-up and in live-room framings
(``benchmarks.digital_human.framing``); figures are given per framing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.progress import track

from benchmarks import RESULTS_DIR
from benchmarks.digital_human.framing import FRAMINGS
from benchmarks.digital_human.generate import clip_path
from benchmarks.digital_human.scenario import CONDITIONS, Scenario, all_scenarios
from monitor.detectors.digital_human import DigitalHumanOptions, detect_digital_human
from monitor.media.decode import DecodeOptions, DecodeReport, iter_media
from monitor.media.types import SampledFrame
from monitor.observations.faces import FaceOptions, observe_faces
from monitor.observations.host_face import HostFaceEngine
from monitor.observations.ocr import OcrEngine, RapidOcrEngine
from monitor.observations.types import FrameText
from monitor.observations.voice import VoiceFeatures
from monitor.sources.open import open_source, probe

__all__ = ["ALL_FRAMINGS", "Outcome", "evaluate", "main", "markdown"]

ALL_FRAMINGS = ("closeup", *(f.name for f in FRAMINGS))

SIGNALS = ("blink", "loop", "pose_jitter", "mouth_sync", "voice")


@dataclass(frozen=True, slots=True)
class Outcome:
    scenario: Scenario
    expected: str | None
    found: tuple[tuple[str, str], ...]
    likelihood: float | None
    signals: dict[str, float | None]
    label_coverage: float
    judged: bool
    face_px: float | None
    """Median height of the host's face as the face pass saw it."""

    @property
    def correct(self) -> bool:
        return [c for c, _ in self.found] == ([self.expected] if self.expected else [])


def _frame_texts(path: str, ocr: OcrEngine) -> list[FrameText]:
    with open_source(path) as container:
        media = iter_media(container, DecodeOptions(audio=False), DecodeReport())
        frames = [f for f in media if isinstance(f, SampledFrame)]
    boxes = ocr.read([f.image for f in frames])
    return [
        FrameText(f.time, f.index, b, f.image.shape[1], f.image.shape[0]) for f, b in zip(frames, boxes, strict=True)
    ]


def evaluate(scenario: Scenario, ocr: OcrEngine, options: DigitalHumanOptions) -> Outcome:
    path = str(clip_path(scenario))
    with open_source(path) as container, HostFaceEngine() as engine:
        info = probe(container, path)
        faces = observe_faces(container, engine, FaceOptions(fps=scenario.fps, with_audio=True))
    voice = VoiceFeatures.from_audio(faces.audio)
    result = detect_digital_human(faces.track, _frame_texts(path, ocr), (), info, None, voice, options=options)
    return Outcome(
        scenario,
        scenario.expected,
        tuple((f.category, f.risk) for f in result.findings),
        result.likelihood,
        {s.name: s.score for s in result.signals},
        result.label.coverage,
        result.judgement.judged,
        result.view.face_px,
    )


def _balanced_accuracy(outcomes: list[Outcome], score: Any, threshold: float) -> float | None:
    rates = []
    for host in ("avatar", "human"):
        values = [score(o) for o in outcomes if o.scenario.host == host and score(o) is not None]
        if not values:
            return None
        hits = [v >= threshold if host == "avatar" else v < threshold for v in values]
        rates.append(sum(hits) / len(hits))
    return sum(rates) / 2


def summarise(outcomes: list[Outcome], threshold: float) -> dict[str, Any]:
    per_condition = {}
    for cond in CONDITIONS:
        rows = [o for o in outcomes if o.scenario.condition == cond]
        per_condition[cond] = {"correct": sum(o.correct for o in rows), "total": len(rows)}
    per_signal = {
        name: _balanced_accuracy(outcomes, lambda o, n=name: o.signals.get(n), 0.5) for name in SIGNALS
    }
    per_signal["fused"] = _balanced_accuracy(outcomes, lambda o: o.likelihood, threshold)
    per_framing = {}
    for framing in dict.fromkeys(o.scenario.framing for o in outcomes):
        rows = [o for o in outcomes if o.scenario.framing == framing]
        sizes = [o.face_px for o in rows if o.face_px is not None]
        per_framing[framing] = {
            "correct": sum(o.correct for o in rows), "total": len(rows),
            "judged": sum(o.judged for o in rows),
            "fused_balanced_accuracy": _balanced_accuracy(rows, lambda o: o.likelihood, threshold),
            "median_face_px": round(sorted(sizes)[len(sizes) // 2], 1) if sizes else None,
        }
    return {
        "threshold": threshold,
        "accuracy": sum(o.correct for o in outcomes) / len(outcomes),
        "per_framing": per_framing,
        "per_condition": per_condition,
        "per_signal_balanced_accuracy": per_signal,
        "clips": [
            {"name": o.scenario.name, "framing": o.scenario.framing, "expected": o.expected,
             "found": [list(f) for f in o.found], "likelihood": o.likelihood, "judged": o.judged,
             "face_px": o.face_px, "label_coverage": round(o.label_coverage, 3), "signals": o.signals}
            for o in outcomes
        ],
    }


def _fmt(x: float | None, spec: str = ".2f") -> str:
    return "n/a" if x is None else format(x, spec)


def markdown(summary: dict[str, Any]) -> str:
    lines = [
        "# Digital-human benchmark (synthetic clips)",
        "",
        "Generated from the scikit-image astronaut photo with a synthetic voice; see docs/digital_human.md.",
        "Command: `python -m benchmarks.digital_human --framings all`.",
        "",
        f"Overall finding accuracy: **{summary['accuracy']:.0%}** (threshold {summary['threshold']}).",
        "",
        "| framing | host face (median px) | judged | findings correct | fused balanced accuracy |",
        "|---|---|---|---|---|",
        *(
            f"| {name} | {_fmt(v['median_face_px'], '.0f')} | {v['judged']}/{v['total']} "
            f"| {v['correct']}/{v['total']} | {_fmt(v['fused_balanced_accuracy'])} |"
            for name, v in summary["per_framing"].items()
        ),
        "",
        "| condition | correct |",
        "|---|---|",
        *(f"| {c} | {v['correct']}/{v['total']} |" for c, v in summary["per_condition"].items()),
        "",
        "| signal | balanced accuracy avatar vs human |",
        "|---|---|",
        *(f"| {n} | {_fmt(v)} |" for n, v in summary["per_signal_balanced_accuracy"].items()),
        "",
        "| clip | expected | found | likelihood | label coverage |",
        "|---|---|---|---|---|",
        *(
            f"| {c['name']} | {c['expected'] or '-'} | {', '.join('/'.join(f) for f in c['found']) or '-'} "
            f"| {_fmt(c['likelihood'])} | {c['label_coverage']:.2f} |"
            for c in summary["clips"]
        ),
        "",
    ]
    return "\n".join(lines)


def main(
    out: Path = RESULTS_DIR, seeds: tuple[int, ...] = (0, 1), framings: tuple[str, ...] = ALL_FRAMINGS
) -> dict[str, Any]:
    options = DigitalHumanOptions()
    ocr = RapidOcrEngine()
    outcomes = [evaluate(s, ocr, options) for s in track(all_scenarios(seeds, framings), description="clips")]
    summary = summarise(outcomes, options.threshold)
    out.mkdir(parents=True, exist_ok=True)
    (out / "digital_human.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / "digital_human.md").write_text(markdown(summary), encoding="utf-8")
    return summary
