"""Candidate readers on a dev subset: which means hold up in a loud room, measured.

    python -m benchmarks.acoustics.tune [--split dev] [--limit 100] [--conditions clean room]
                                        [--readers product hp150 ...] [--threads 0]

Every reader of :data:`benchmarks.acoustics.candidates.READERS` asked for reads the same
sentences (the split's voiced ones, key order, the first ``--limit``) under each condition; the
table gives recall, clean flagged, CER and the reader's speed (audio seconds per second of front
end + ASR; indicative on a shared machine). Writes ``claims_rooms_tuning[_<split>].{json,md}``.
Tune on ``dev``; the test split is scored once, by :mod:`benchmarks.acoustics.table`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import RESULTS_DIR, write_results
from benchmarks.acoustics.candidates import READERS
from benchmarks.acoustics.conditions import CONDITIONS, ROOMS_VERSION, Voices
from benchmarks.acoustics.read import product_asr, read_speed, transcript_cache
from benchmarks.acoustics.table import Scorer, cached_subset, given_args, transcribe_condition
from benchmarks.claims.asr_noisy import text_key
from benchmarks.claims.corpus import SPLITS

__all__ = ["main"]


def _markdown(result: dict[str, Any]) -> str:
    lines = [
        f"# Readers in room conditions ({result['split']} split, tuning)",
        "",
        f"{result['records']} sentences ({result['positives']} with claims, {result['clean']} clean), "
        f"rendering `{ROOMS_VERSION}`. Speed: audio seconds per second of front end + ASR, on a shared "
        "2-core machine (indicative).",
        "",
        "| reader | condition | recall | clean flagged | CER | F1 | speed |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in result["rows"]:
        speed = f"{row['speed']:.1f}x" if row["speed"] else "–"
        lines.append(
            f"| `{row['reader']}` | `{row['condition']}` | {row['recall']:.3f} | {row['clean_flag_rate']:.1%} "
            f"({row['clean_flagged']}/{row['clean_total']}) | {row['cer']:.3f} | {row['f1']:.3f} | {speed} |"
        )
    lines += ["", f"Command: `{result['command']}`.", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=SPLITS)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--conditions", nargs="+", default=["clean", "room"], choices=[c.name for c in CONDITIONS])
    parser.add_argument("--readers", nargs="+", default=sorted(READERS), choices=sorted(READERS))
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)

    records = cached_subset(args.split, args.limit)
    if not records:
        raise SystemExit(f"no {args.split} sentence is voiced yet")
    print(f"N = {len(records)} {args.split} sentences")
    base, voices, scorer = product_asr(args.threads), Voices(), Scorer()
    keys = [text_key(r.text) for r in records]
    rows = []
    for name in args.readers:
        reader = READERS[name]
        for condition in (c for c in CONDITIONS if c.name in args.conditions):
            texts = transcribe_condition(condition, reader, records, base, voices)
            row = {"reader": name, "condition": condition.name, **scorer(records, [texts[k] for k in keys]),
                   "speed": read_speed(transcript_cache(condition.name, name), keys)}
            rows.append(row)
            print(f"{name} / {condition.name}: recall {row['recall']:.3f}, clean flagged "
                  f"{row['clean_flag_rate']:.1%}, CER {row['cer']:.3f}", flush=True)
    result: dict[str, Any] = {
        "split": args.split,
        "records": len(records),
        "positives": sum(1 for r in records if r.labels),
        "clean": sum(1 for r in records if not r.labels),
        "rendering": ROOMS_VERSION,
        "command": "python -m benchmarks.acoustics.tune" + given_args(argv),
        "rows": rows,
    }
    stem = args.out / ("claims_rooms_tuning" + ("" if args.split == "dev" else f"_{args.split}"))
    write_results(stem, result, _markdown(result))
    print(_markdown(result))
    return result


if __name__ == "__main__":
    main()
