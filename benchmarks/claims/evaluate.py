"""Score the claims engine on the labelled corpus, rules alone and fused with the classifier.

``python -m benchmarks.claims.evaluate [--split test] [--condition clean|asr|asr-live] [--with-classifier]``
writes ``benchmarks/results/claims_<condition>.json`` and ``.md`` (``claims_<condition>_<split>``
for another split), with scores per writing batch too. The ``asr`` conditions
read the transcripts made by :mod:`benchmarks.claims.asr_noisy` (``asr``: as ``scan`` reads,
``asr-live``: as ``watch`` reads live utterances), score only the records transcribed so far
(the coverage is reported) and fuse at the classifier's speech operating point, as the product
does for transcripts. ``asr-live`` also scores the scan's transcripts of the same records, as
its baseline.

Scoring: see :data:`SCORING`.
"""

from __future__ import annotations

import argparse
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import RESULTS_DIR, write_results
from benchmarks.claims.asr_noisy import corpus_hash, load_transcripts
from benchmarks.claims.corpus import CATEGORIES, SPLITS, Record, load_corpus
from monitor.detectors.claims import ClaimEngine, ClaimHit, TextSource

__all__ = [
    "SCORING",
    "Counts",
    "Scores",
    "companion_pairs",
    "flagged",
    "main",
    "score",
    "write_result",
]

_EXAMPLES = 5

SCORING = """Per the corpus README (secondary labels are partial): a category
predicted on a sentence is a true positive when it is one of the sentence's labels.
A predicted category that is not a label counts as a false positive on a clean
sentence always, and on a positive sentence only when it is not a *companion* of one
of its labels: companions are the category pairs that the corpus itself labels
together on train/dev sentences (e.g. medical_claims + false_efficacy). Every
missed label is a false negative. ``strict`` micro scores count every extra
category as a false positive. ``clean flagged`` is the share of sentences without
a label (negatives and hard negatives) on which anything is flagged. A hit is
"flagged" when its risk is ``block`` or ``review`` (``pass`` hits are only kept).
"""


@dataclass(frozen=True, slots=True)
class Counts:
    """True positives, false positives and false negatives, with P/R/F1 (0 when undefined)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp + self.fp + self.fn else 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass(frozen=True, slots=True)
class Scores:
    """Per-category and micro counts (lenient and strict) and the clean-flag rate."""

    per_category: dict[str, Counts]
    micro: Counts
    strict_micro: Counts
    clean_total: int
    clean_flagged: int
    errors: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    """Per category, the row indices of its false ``fn`` and ``fp``."""

    @property
    def clean_flag_rate(self) -> float:
        return self.clean_flagged / self.clean_total if self.clean_total else 0.0


def companion_pairs(records: Iterable[Record]) -> frozenset[frozenset[str]]:
    """Category pairs labelled together on some record (pass train/dev records only)."""
    return frozenset(frozenset(p) for r in records for p in _pairs(r.labels))


def _pairs(labels: Sequence[str]) -> Iterable[tuple[str, str]]:
    return ((a, b) for i, a in enumerate(labels) for b in labels[i + 1 :])


def score(
    truth: Sequence[Collection[str]],
    predicted: Sequence[Collection[str]],
    companions: Collection[frozenset[str]] = frozenset(),
    categories: Sequence[str] = CATEGORIES,
) -> Scores:
    """Score predicted category sets against label sets, row by row (see the module docstring)."""
    if len(truth) != len(predicted):
        raise ValueError(f"truth has {len(truth)} rows, predicted {len(predicted)}")
    tp = dict.fromkeys(categories, 0)
    fp, fn = dict(tp), dict(tp)
    strict_fp = 0
    errors: dict[str, dict[str, list[int]]] = {c: {"fn": [], "fp": []} for c in categories}
    clean_total = clean_flagged = 0
    for row, (labels, guess) in enumerate(zip(truth, predicted, strict=True)):
        labels, guess = set(labels), set(guess) & set(categories)
        if not labels:
            clean_total += 1
            clean_flagged += bool(guess)
        for c in categories:
            if c in labels:
                hit = c in guess
                tp[c] += hit
                fn[c] += not hit
                if not hit:
                    errors[c]["fn"].append(row)
            elif c in guess:
                strict_fp += 1
                if not any(frozenset((c, label)) in companions for label in labels):
                    fp[c] += 1
                    errors[c]["fp"].append(row)
    per = {c: Counts(tp[c], fp[c], fn[c]) for c in categories}
    total_tp, total_fn = sum(tp.values()), sum(fn.values())
    return Scores(
        per_category=per,
        micro=Counts(total_tp, sum(fp.values()), total_fn),
        strict_micro=Counts(total_tp, strict_fp, total_fn),
        clean_total=clean_total,
        clean_flagged=clean_flagged,
        errors=errors,
    )


def flagged(hits: Iterable[ClaimHit]) -> set[str]:
    """Categories with a ``block`` or ``review`` hit."""
    return {h.category for h in hits if h.risk != "pass"}


CONDITIONS = {"clean": None, "asr": "transcribe", "asr-live": "window"}
"""Each condition's ASR reader (:data:`benchmarks.claims.asr_noisy.READERS`); None: the sentences as written."""


def _texts(records: Sequence[Record], condition: str) -> tuple[list[Record], list[str]]:
    reader = CONDITIONS[condition]
    if reader is None:
        return list(records), [r.text for r in records]
    transcripts = load_transcripts(records, reader=reader)
    kept = [r for r in records if r.id in transcripts]
    return kept, [transcripts[r.id] for r in kept]


def _predict(texts: Sequence[str], source: TextSource, with_classifier: bool) -> dict[str, list[set[str]]]:
    """Flagged categories per text: rules alone, and with the classifier fused and alone."""
    rules = ClaimEngine.load()
    predictions = {"rules": [flagged(h) for h in rules.check_many(texts)]}
    if with_classifier:
        from monitor.detectors.claims.classifier import EmbeddingClaimClassifier

        classifier = EmbeddingClaimClassifier.load()
        fused = ClaimEngine.load(classifier=classifier, fusion=classifier.fusion_config(source))
        predictions["rules+classifier"] = [flagged(h) for h in fused.check_many(texts, source)]
        alone = classifier.predict_proba(texts) >= [classifier.thresholds[c] for c in CATEGORIES]
        predictions["classifier alone"] = [{c for c, on in zip(CATEGORIES, row, strict=True) if on} for row in alone]
    return predictions


def _report(scores: Scores, records: Sequence[Record], texts: Sequence[str]) -> dict[str, object]:
    def examples(rows: list[int]) -> list[dict[str, object]]:
        return [
            {"id": records[i].id, "text": texts[i], "labels": list(records[i].labels)} for i in rows[:_EXAMPLES]
        ]

    return {
        "micro": scores.micro.as_dict(),
        "strict_micro": scores.strict_micro.as_dict(),
        "clean_flag_rate": round(scores.clean_flag_rate, 4),
        "clean_flagged": scores.clean_flagged,
        "clean_total": scores.clean_total,
        "per_category": {c: s.as_dict() for c, s in scores.per_category.items()},
        "errors": {
            c: {kind: {"count": len(rows), "examples": examples(rows)} for kind, rows in e.items()}
            for c, e in scores.errors.items()
        },
    }


def _micro_summary(s: Scores, records: int) -> dict[str, float]:
    return {"records": records, "micro_f1": round(s.micro.f1, 4), "clean_flag_rate": round(s.clean_flag_rate, 4)}


def _markdown(result: dict[str, Any]) -> str:
    systems: dict[str, dict[str, Any]] = result["systems"]
    lines = [
        f"# Claims benchmark: {result['condition']} ({result['split']} split)",
        "",
        f"Corpus {result['corpus_hash']}, {result['records']} of {result['split_records']} records scored; "
        f"engine `{result['engine_version']}`.",
        "",
        "| system | micro P | micro R | micro F1 | strict F1 | clean flagged |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, s in systems.items():
        m, st = s["micro"], s["strict_micro"]
        lines.append(
            f"| {name} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | "
            f"{st['f1']:.3f} | "
            f"{s['clean_flag_rate']:.1%} ({s['clean_flagged']}/{s['clean_total']}) |"
        )
    lines += ["", "By writing batch (see the corpus README):", "",
              "| system | batch | records | micro F1 | clean flagged |", "|---|---:|---:|---:|---:|"]
    for name, batches in result["by_batch"].items():
        for b, m in batches.items():
            lines.append(f"| {name} | {b} | {m['records']} | {m['micro_f1']:.3f} | {m['clean_flag_rate']:.1%} |")
    for name, s in systems.items():
        lines += ["", f"## {name}", "", "| category | P | R | F1 | TP | FP | FN |", "|---|" + "---:|" * 6]
        for c, v in s["per_category"].items():
            lines.append(
                f"| {c} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | "
                f"{v['tp']} | {v['fp']} | {v['fn']} |"
            )
    lines += ["", "## Scoring", "", str(result["scoring"]), ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=SPLITS)
    parser.add_argument("--condition", default="clean", choices=tuple(CONDITIONS))
    parser.add_argument("--with-classifier", action="store_true", help="also score rules + classifier, fused")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)

    split_records = load_corpus(args.split)
    records, texts = _texts(split_records, args.condition)
    if not records:
        raise SystemExit(f"no {args.condition} texts for {args.split}: run `python -m benchmarks.claims.asr_noisy`")
    companions = companion_pairs(r for r in load_corpus() if r.split != "test")
    truth = [r.labels for r in records]
    source: TextSource = "text" if args.condition == "clean" else "speech"
    predictions = _predict(texts, source, args.with_classifier)
    if args.condition == "asr-live":
        scan_transcripts = load_transcripts(records, reader="transcribe")
        if len(scan_transcripts) == len(records):
            baseline = _predict([scan_transcripts[r.id] for r in records], source, args.with_classifier)
            predictions |= {f"{name} (baseline: scan's reader)": p for name, p in baseline.items()}
    systems = {name: score(truth, predicted, companions) for name, predicted in predictions.items()}
    batches = {b: [i for i, r in enumerate(records) if r.batch == b] for b in sorted({r.batch for r in records})}
    by_batch = {
        name: {
            str(b): _micro_summary(
                score([truth[i] for i in rows], [predicted[i] for i in rows], companions), len(rows)
            )
            for b, rows in batches.items()
        }
        for name, predicted in predictions.items()
    }
    result: dict[str, object] = {
        "condition": args.condition,
        "split": args.split,
        "corpus_hash": corpus_hash(),
        "records": len(records),
        "split_records": len(split_records),
        "engine_version": ClaimEngine.load().version,
        "companions": sorted(sorted(p) for p in companions),
        "scoring": " ".join(SCORING.split()),
        "systems": {name: _report(s, records, texts) for name, s in systems.items()},
        "by_batch": by_batch,
    }
    stem = args.out / (f"claims_{args.condition}" if args.split == "test" else f"claims_{args.condition}_{args.split}")
    write_result(stem, result, _markdown(result))
    return result


def write_result(stem: Path, result: dict[str, Any], markdown: str) -> None:
    """Write ``stem``.json and ``stem``.md and print the Markdown up to its first section."""
    write_results(stem, result, markdown)
    print(markdown.split("\n## ", 1)[0])


if __name__ == "__main__":
    main()
