"""Build the real-language claims corpus and score the claims engine on it.

``python -m benchmarks.claims.real build`` merges the gathered shards into ``corpus.jsonl``;
``python -m benchmarks.claims.real evaluate [--split test] [--rules DIR]`` scores the rules alone
and the rules fused with the classifier (as ``livemon check-text`` runs) and writes
``benchmarks/results/claims_real[_<split>].json`` and ``.md``.
``python -m benchmarks.claims.real cv [--rules DIR]`` scores the TRAIN split by site folds (see
:mod:`benchmarks.claims.real.cv`) and writes ``claims_real_cv.{json,md}``; ``misses`` lists the
misses and false flags of the train folds that may be read while writing rules.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import RESULTS_DIR
from benchmarks.claims.corpus import CATEGORIES, load_corpus
from benchmarks.claims.evaluate import SCORING, companion_pairs, flagged, score, write_result
from benchmarks.claims.real.corpus import SPLITS, Line, build, load_real, unique
from benchmarks.claims.real.cv import DEV_FOLDS, FOLDS, credited, fold_of, predicted_sets, reading_lines, scored
from benchmarks.claims.real.operating import operating_points
from monitor.detectors.claims import ClaimEngine, ClaimHit
from monitor.detectors.claims.schema import TRUE_WHEN_PROVEN
from monitor.pipeline.engines import build_claim_engine

_EXAMPLES = 8


def engines(rule_dirs: Sequence[Path]) -> dict[str, ClaimEngine]:
    """The rules alone, and the rules fused with the embedded classifier as ``livemon check-text`` runs them."""
    return {
        "rules": build_claim_engine(rule_dirs, classifier="none"),
        "rules+classifier": build_claim_engine(rule_dirs, classifier="embedded"),
    }


def _blocked_true_only(hits: Sequence[ClaimHit]) -> bool:
    return any(h.risk == "block" and h.category in TRUE_WHEN_PROVEN for h in hits)


def companions() -> frozenset[frozenset[str]]:
    """Category pairs labelled together on hand-written train/dev records or real train lines."""
    return companion_pairs(
        r for r in load_corpus() if r.split != "test"
    ) | frozenset(frozenset(line.categories) for line in load_real("train") if len(line.categories) == 2)


def evaluate(lines: Sequence[Line], systems_to_score: dict[str, ClaimEngine]) -> dict[str, Any]:
    """Scores of each system on ``lines``: micro P/R/F1, line recall, clean flags, per category and kind."""
    companions_ = companions()
    truth = [line.categories for line in lines]
    texts = [line.text for line in lines]
    systems: dict[str, Any] = {}
    for name, engine in systems_to_score.items():
        hits = engine.check_many(texts, "text")
        predicted = [flagged(h) for h in hits]
        s = score(truth, predicted, companions_)
        violating = [i for i, line in enumerate(lines) if line.label == "violating"]
        found = [i for i in violating if predicted[i]]
        per_category = {
            c: {"lines": n, "found": sum(1 for i in violating if c in lines[i].categories and c in predicted[i])}
            for c in CATEGORIES
            if (n := sum(1 for i in violating if c in lines[i].categories))
        }
        kinds = sorted({line.source_kind for line in lines})
        by_kind = {}
        for kind in kinds:
            rows = [i for i, line in enumerate(lines) if line.source_kind == kind]
            k = score([truth[i] for i in rows], [predicted[i] for i in rows], companions_)
            by_kind[kind] = {
                "lines": len(rows),
                "micro_f1": round(k.micro.f1, 4),
                "clean_flag_rate": round(k.clean_flag_rate, 4),
            }
        missed = [i for i in violating if not predicted[i]]
        false_flags = [i for i, line in enumerate(lines) if line.label == "compliant" and predicted[i]]
        systems[name] = {
            "micro": s.micro.as_dict(),
            "strict_micro": s.strict_micro.as_dict(),
            "violating_recall": round(len(found) / len(violating), 4) if violating else 0.0,
            "violating": len(violating),
            "compliant_flag_rate": round(s.clean_flag_rate, 4),
            "compliant_flagged": s.clean_flagged,
            "compliant": s.clean_total,
            "blocked_true_only": sum(_blocked_true_only(h) for h in hits),
            "per_category": per_category,
            "per_category_scores": {c: v.as_dict() for c, v in s.per_category.items()},
            "by_source_kind": by_kind,
            "missed": [_example(lines[i], predicted[i]) for i in missed[:_EXAMPLES]],
            "false_flags": [_example(lines[i], predicted[i]) for i in false_flags[:_EXAMPLES]],
        }
    return systems


def _example(line: Line, predicted: set[str]) -> dict[str, object]:
    return {
        "id": line.id,
        "text": line.text,
        "labels": list(line.categories),
        "predicted": sorted(predicted),
        "url": line.url,
    }


def _markdown(result: dict[str, Any]) -> str:
    out = [
        f"# Claims on real language: {result['split']} split",
        "",
        f"{result['lines']} lines ({result['violating']} violating, {result['compliant']} compliant) from "
        f"{result['sources']} pages on {result['sites']} sites; engine `{result['engine_version']}`.",
        f"Command: `{result['command']}`.",
        "",
        "| system | micro P | micro R | micro F1 | violating lines found | compliant flagged | count claims blocked |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in result["systems"].items():
        m = s["micro"]
        out.append(
            f"| {name} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | "
            f"{s['violating_recall']:.1%} | "
            f"{s['compliant_flag_rate']:.1%} ({s['compliant_flagged']}/{s['compliant']}) | "
            f"{s['blocked_true_only']} |"
        )
    for name, s in result["systems"].items():
        out += ["", f"## {name}: found per category", "", "| category | found | lines | recall |"]
        out.append("|---|---:|---:|---:|")
        for c, v in s["per_category"].items():
            out.append(f"| {c} | {v['found']} | {v['lines']} | {v['found'] / v['lines']:.1%} |")
        out += ["", "| source kind | lines | micro F1 | compliant flagged |", "|---|---:|---:|---:|"]
        for kind, v in s["by_source_kind"].items():
            out.append(f"| {kind} | {v['lines']} | {v['micro_f1']:.3f} | {v['clean_flag_rate']:.1%} |")
    true_only = " or ".join(sorted(TRUE_WHEN_PROVEN))
    out += ["", "## Scoring", "", " ".join(SCORING.split()),
            "`violating lines found`: share of violating lines with any flag. `count claims blocked`: lines where a "
            f"{true_only} hit was `block` (must be 0: such claims are lawful when true).", ""]
    return "\n".join(out)


def cross_validate(systems_to_score: dict[str, ClaimEngine]) -> dict[str, Any]:
    """Each system on the TRAIN split: the folds read while writing rules, the dev folds, all, and
    all with leave-one-fold-out credit (see :mod:`benchmarks.claims.real.cv`)."""
    lines = unique(load_real("train"))
    companions_ = companions()
    dev = [i for i, line in enumerate(lines) if fold_of(line.site) in DEV_FOLDS]
    read = [i for i, line in enumerate(lines) if fold_of(line.site) not in DEV_FOLDS]
    out: dict[str, Any] = {}
    for name, engine in systems_to_score.items():
        hits = engine.check_many([line.text for line in lines], "text")
        predicted = predicted_sets(hits)
        lofo = credited(engine, lines, hits)

        def part(rows: Sequence[int], guess: Sequence[set[str]]) -> dict[str, Any]:
            return scored([lines[i] for i in rows], [guess[i] for i in rows], companions_).as_dict()

        out[name] = {
            "read folds": part(read, predicted),
            "dev folds": part(dev, predicted),
            "all train": part(range(len(lines)), predicted),
            "all train, leave-one-fold-out credit": part(range(len(lines)), lofo),
        }
    return out


def _cv_markdown(result: dict[str, Any]) -> str:
    out = [
        "# Claims on real language: grouped checks on the TRAIN split",
        "",
        f"{result['lines']} distinct train lines from {result['sites']} sites, dealt into {FOLDS} folds by site; "
        f"folds {', '.join(map(str, DEV_FOLDS))} are the dev sites (scored, not read while writing rules). "
        f"Engine `{result['engine_version']}`. Command: `{result['command']}`.",
        "",
        "| system | lines | micro F1 | violating lines found | compliant flagged |",
        "|---|---|---:|---:|---:|",
    ]
    for name, parts in result["systems"].items():
        for part, v in parts.items():
            out.append(
                f"| {name} | {part} ({v['lines']}) | {v['micro_f1']:.3f} | {v['violating_found']:.1%} | "
                f"{v['compliant_flagged']:.1%} |"
            )
    out += ["", "Leave-one-fold-out credit: a rule hit counts on a line only when the same keyword (keyword rules)",
            "or rule (regex and price rules) also fires on a violating line of another fold.", ""]
    return "\n".join(out)


def _fusion_markdown(result: dict[str, Any]) -> str:
    out = [
        "# Claims on real language: fusion operating points on the TRAIN split, by site folds",
        "",
        f"{result['lines']} distinct train lines; folds {', '.join(map(str, DEV_FOLDS))} are the dev sites. "
        f"Rules + classifier, engine `{result['engine_version']}`. Command: `{result['command']}`.",
        "`speech` is the shipped transcript point; `text +d` the shipped text point with every classifier-alone "
        "threshold raised by d (`text +0.00` is what `check-text` runs).",
        "",
        "| point | read F1 | read found | read compliant flagged | dev F1 | dev found | dev compliant flagged |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, parts in result["points"].items():
        r, d = parts["read folds"], parts["dev folds"]
        out.append(
            f"| {name} | {r['micro_f1']:.3f} | {r['violating_found']:.1%} | {r['compliant_flagged']:.1%} | "
            f"{d['micro_f1']:.3f} | {d['violating_found']:.1%} | {d['compliant_flagged']:.1%} |"
        )
    return "\n".join(out + [""])


def print_misses(engine: ClaimEngine) -> None:
    """Misses and false flags on the train folds that may be read, grouped by category (dev folds refused)."""
    lines = unique(reading_lines(load_real("train")))
    hits = engine.check_many([line.text for line in lines], "text")
    predicted = predicted_sets(hits)
    print("== 合规却被标记 compliant lines flagged")
    for line, guess, row in zip(lines, predicted, hits, strict=True):
        if line.label == "compliant" and guess:
            print(f"  {sorted(guess)} {sorted({h.rule for h in row if h.risk != 'pass'})} | {line.text}")
    for category in sorted({c for line in lines for c in line.categories}):
        missed = [(line, guess) for line, guess in zip(lines, predicted, strict=True)
                  if category in line.categories and category not in guess]
        print(f"== 漏报 missed {category}: {len(missed)}")
        for line, guess in missed:
            print(f"  {sorted(guess)} [{line.source_kind}; {line.where[:30]}] | {line.text}")


def main(argv: Sequence[str] | None = None) -> dict[str, Any] | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="merge raw/*.jsonl into corpus.jsonl")
    ev = sub.add_parser("evaluate", help="score the engine on one split")
    ev.add_argument("--split", default="test", choices=SPLITS)
    ev.add_argument("--rules", type=Path, action="append", default=[], help="folder of extra rule packs")
    ev.add_argument("--out", type=Path, default=RESULTS_DIR)
    cv = sub.add_parser("cv", help="score the TRAIN split by site folds (no test line is read)")
    cv.add_argument("--rules", type=Path, action="append", default=[], help="folder of extra rule packs")
    cv.add_argument("--out", type=Path, default=RESULTS_DIR)
    fu = sub.add_parser("fusion", help="score fusion operating points on the TRAIN split by site folds")
    fu.add_argument("--out", type=Path, default=RESULTS_DIR)
    ms = sub.add_parser("misses", help="list misses on the train folds that may be read")
    ms.add_argument("--rules", type=Path, action="append", default=[], help="folder of extra rule packs")
    ms.add_argument("--classifier", action="store_true", help="fuse with the classifier, as check-text")
    args = parser.parse_args(argv)
    if args.command == "build":
        lines = build()
        counts = Counter((line.split, line.label) for line in lines)
        for (split, label), n in sorted(counts.items()):
            print(f"{split:5} {label:9} {n}")
        return None
    if args.command == "misses":
        print_misses(build_claim_engine(args.rules, classifier="embedded" if args.classifier else "none"))
        return None
    if args.command == "fusion":
        engine = build_claim_engine([], classifier="embedded")
        train = unique(load_real("train"))
        result = {
            "split": "train",
            "command": "python -m benchmarks.claims.real fusion",
            "lines": len(train),
            "engine_version": engine.version,
            "points": operating_points(engine, train, companions()),
        }
        write_result(args.out / "claims_real_fusion", result, _fusion_markdown(result))
        return result
    if args.command == "cv":
        chosen = engines(args.rules)
        train = unique(load_real("train"))
        result = {
            "split": "train",
            "command": "python -m benchmarks.claims.real cv" + "".join(f" --rules {d}" for d in args.rules),
            "lines": len(train),
            "sites": len({line.site for line in train}),
            "engine_version": chosen["rules"].version,
            "systems": cross_validate(chosen),
        }
        write_result(args.out / "claims_real_cv", result, _cv_markdown(result))
        return result
    lines = unique(load_real(args.split))
    chosen = engines(args.rules)
    systems = evaluate(lines, chosen)
    result = {
        "split": args.split,
        "command": "python -m benchmarks.claims.real evaluate"
        + ("" if args.split == "test" else f" --split {args.split}")
        + "".join(f" --rules {d}" for d in args.rules),
        "lines": len(lines),
        "violating": sum(line.label == "violating" for line in lines),
        "compliant": sum(line.label == "compliant" for line in lines),
        "sources": len({line.url for line in lines}),
        "sites": len({line.site for line in lines}),
        "engine_version": chosen["rules"].version,
        "systems": systems,
    }
    stem = args.out / ("claims_real" if args.split == "test" else f"claims_real_{args.split}")
    write_result(stem, result, _markdown(result))
    return result


if __name__ == "__main__":
    main()
