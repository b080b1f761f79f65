"""Transcripts matched on sound against every rule's keywords, against the keywords of ``pinyin: true`` rules only.

    python -m benchmarks.claims.soundalike_speech [--split dev] [--rooms clean room] [--published]

Each transcript set of the split is checked twice by the claims engine at its speech operating point
(rules + classifier), with ``speech_soundalikes`` off (as before) and on; the table gives spoken-claims
recall and the share of clean sentences flagged for each, and the sentences whose flags changed (so the
gains and false alarms can be read). Transcript sets: the written sentences themselves (every record of
the split: what matching on sound costs on words heard right), the loud-room benchmark's cached transcripts
(``benchmarks.acoustics``, product reader) of each ``--rooms`` condition, and with ``--published`` the
committed clean transcripts (``benchmarks/claims/transcripts/``). Nothing is transcribed here.
Tune on ``dev``; the test split is scored once. Writes ``soundalike_speech_<split>.{json,md}``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import RESULTS_DIR, write_results
from benchmarks.acoustics.read import cached_transcripts, transcript_cache
from benchmarks.acoustics.table import given_args
from benchmarks.claims import load_corpus
from benchmarks.claims.asr_noisy import load_transcripts, text_key
from benchmarks.claims.corpus import SPLITS, Record
from benchmarks.claims.evaluate import companion_pairs, flagged, score

__all__ = ["main"]

_SHOWN = 40
"""Changed sentences listed per transcript set."""


def _engines() -> dict[str, Any]:
    from monitor.detectors.claims import ClaimEngine
    from monitor.detectors.claims.classifier import EmbeddingClaimClassifier

    classifier = EmbeddingClaimClassifier.load()
    fusion = classifier.fusion_config("speech")
    return {
        "pinyin_rules": ClaimEngine.load(classifier=classifier, fusion=fusion, speech_soundalikes=False),
        "every_rule": ClaimEngine.load(classifier=classifier, fusion=fusion, speech_soundalikes=True),
    }


def _sets(split: str, rooms: Sequence[str], published: bool) -> dict[str, tuple[list[Record], list[str]]]:
    """Transcript sets by name: the records they cover and their transcripts, in the same order."""
    records = load_corpus(split)
    sets = {"written": (records, [r.text for r in records])}
    for room in rooms:
        done = cached_transcripts(transcript_cache(room, "product"))
        covered = [r for r in records if text_key(r.text) in done]
        if covered:
            sets[f"asr_{room}"] = (covered, [done[text_key(r.text)] for r in covered])
    if published:
        texts = load_transcripts(records)
        covered = [r for r in records if r.id in texts]
        if covered:
            sets["asr_published_clean"] = (covered, [texts[r.id] for r in covered])
    return sets


def _row(records: Sequence[Record], predicted: Sequence[set[str]], companions: Any) -> dict[str, Any]:
    s = score([r.labels for r in records], predicted, companions)
    return {"records": len(records), "labels": s.micro.tp + s.micro.fn, "recall": round(s.micro.recall, 4),
            "precision": round(s.micro.precision, 4), "clean_flagged": s.clean_flagged,
            "clean_total": s.clean_total, "clean_flag_rate": round(s.clean_flag_rate, 4)}


def _markdown(result: dict[str, Any]) -> str:
    lines = [
        f"# Transcripts matched on sound against every rule's keywords ({result['split']} split)",
        "",
        "`pinyin_rules`: sound-alike keywords of `pinyin: true` rules only (as before, and as written text is "
        "matched); `every_rule`: every claim rule's keywords (speech only). Rules + classifier at the speech "
        "operating point.",
        "",
        "| transcripts | sentences | labels | matching | recall | clean flagged |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for name, block in result["sets"].items():
        for variant, row in block["rows"].items():
            lines.append(f"| {name} | {row['records']} | {row['labels']} | `{variant}` | {row['recall']:.3f} | "
                         f"{row['clean_flag_rate']:.1%} ({row['clean_flagged']}/{row['clean_total']}) |")
    for name, block in result["sets"].items():
        if block["changed"]:
            lines += ["", f"## Changed in `{name}`", "", "| transcript | labels | before | after |",
                      "|---|---|---|---|"]
            for c in block["changed"]:
                lines.append(f"| {c['text']} | {', '.join(c['labels']) or '–'} | {', '.join(c['before']) or '–'} | "
                             f"{', '.join(c['after']) or '–'} |")
    lines += ["", f"Command: `{result['command']}`.", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=SPLITS)
    parser.add_argument("--rooms", nargs="*", default=["clean", "room"],
                        help="loud-room conditions whose cached transcripts are read")
    parser.add_argument("--published", action="store_true", help="also the committed clean transcripts")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)

    engines = _engines()
    companions = companion_pairs(r for r in load_corpus() if r.split != "test")
    result: dict[str, Any] = {"split": args.split, "sets": {},
                              "command": f"python -m benchmarks.claims.soundalike_speech{given_args(argv)}"}
    for name, (records, texts) in _sets(args.split, args.rooms, args.published).items():
        predicted = {v: [flagged(h) for h in e.check_many(texts, "speech")] for v, e in engines.items()}
        rows = {v: _row(records, p, companions) for v, p in predicted.items()}
        changed = [
            {"text": t, "labels": sorted(r.labels), "before": sorted(b), "after": sorted(a)}
            for r, t, b, a in zip(records, texts, predicted["pinyin_rules"], predicted["every_rule"], strict=True)
            if a != b
        ]
        result["sets"][name] = {"rows": rows, "changed": changed[:_SHOWN], "changed_total": len(changed)}
        print(name, {v: (row["recall"], row["clean_flag_rate"]) for v, row in rows.items()},
              f"{len(changed)} changed", flush=True)
    write_results(args.out / f"soundalike_speech_{args.split}", result, _markdown(result))
    return result


if __name__ == "__main__":
    main()
