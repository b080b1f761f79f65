"""The room-conditions table: spoken-claims recall, clean sentences flagged and CER, per condition.

    python -m benchmarks.acoustics [--split test] [--limit N] [--conditions clean room ...]
                                   [--reader product] [--threads 0] [--out benchmarks/results]
                                   [--name STEM] [--cached-only]

Sentences are the split's records whose voice is in the claims TTS cache
(:func:`benchmarks.claims.asr_noisy.voiced_audio`; nothing of the split is voiced here), in key
order, the first ``--limit``; every condition is scored on the same sentences. Each is rendered
under each condition (:mod:`benchmarks.acoustics.conditions`), read as ``scan`` reads
(:mod:`benchmarks.acoustics.read`), and the transcript checked by the rules fused with the
classifier at its speech operating point, as the scan checks speech. Recall is the corpus's
lenient micro recall over labels (:data:`benchmarks.claims.evaluate.SCORING`), clean flagged the
share of sentences without a label that get any ``block`` or ``review`` hit, CER characters
(punctuation ignored) over the written sentences. Writes ``claims_rooms[_<split>][_<reader>]``
``.json`` and ``.md`` in ``--out``. ``--cached-only`` reads nothing and scores the sentences
already read under every condition asked (a run stopped part-way), with their number.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import RESULTS_DIR, write_results
from benchmarks.acoustics.conditions import CONDITIONS, ROOMS_VERSION, TARGET, Condition, Voices, render
from benchmarks.acoustics.read import (
    PRODUCT,
    Reader,
    append_transcripts,
    cached_transcripts,
    product_asr,
    read_clips,
    transcript_cache,
)
from benchmarks.acoustics.signals import RATE
from benchmarks.cer import cer_counts
from benchmarks.claims.asr_noisy import TTS_VERSION, corpus_hash, text_key, voiced_audio
from benchmarks.claims.corpus import SPLITS, Record, load_corpus
from benchmarks.claims.evaluate import companion_pairs, flagged, score
from monitor.engines.cache import cache_dir
from monitor.observations.asr import FasterWhisperAsr

__all__ = ["Scorer", "cached_subset", "given_args", "main", "transcribe_condition"]

GROUP = 16
"""Sentences rendered and read per queue (then appended to the cache)."""


def cached_subset(split: str, limit: int | None = None) -> list[Record]:
    """The split's records whose TTS audio is cached, in text-key order (the voicing job's order), at most ``limit``."""
    folder = cache_dir("claims_tts", TTS_VERSION)
    voiced = {p.stem for p in folder.glob("*.npy") if not p.name.endswith(".tmp.npy")}
    records = sorted((r for r in load_corpus(split) if text_key(r.text) in voiced), key=lambda r: text_key(r.text))
    return records[:limit] if limit else records


def transcribe_condition(
    condition: Condition, reader: Reader, records: Sequence[Record], base: FasterWhisperAsr | None, voices: Voices
) -> dict[str, str]:
    """Transcripts by text key for ``records`` under ``condition`` (reading only what the cache lacks;
    ``base`` None: nothing may be read)."""
    path = transcript_cache(condition.name, reader.name)
    done = cached_transcripts(path)
    todo = [r for r in records if text_key(r.text) not in done]
    if todo:
        if base is None:
            raise ValueError(f"{len(todo)} sentences of {condition.name} are not read yet and no ASR was given")
        engine = reader.engine(base)
        started = time.monotonic()
        for at in range(0, len(todo), GROUP):
            group = todo[at : at + GROUP]
            keys = [text_key(r.text) for r in group]
            clips = [render(condition, voiced_audio(r.text), k, voices) for r, k in zip(group, keys, strict=True)]
            began = time.perf_counter()
            if reader.front is not None:
                clips = [reader.front(c) for c in clips]
            reads = read_clips(engine, clips)
            append_transcripts(path, keys, reads, [c.size / RATE for c in clips], time.perf_counter() - began)
            print(f"  {condition.name}/{reader.name}: {at + len(group)}/{len(todo)} "
                  f"({time.monotonic() - started:.0f} s)", flush=True)
        done = cached_transcripts(path)
    return {k: done[k] for k in (text_key(r.text) for r in records)}


class Scorer:
    """Claims (rules + classifier at the speech operating point) and CER of transcripts."""

    def __init__(self) -> None:
        from monitor.detectors.claims import ClaimEngine
        from monitor.detectors.claims.classifier import EmbeddingClaimClassifier

        classifier = EmbeddingClaimClassifier.load()
        self.engine = ClaimEngine.load(classifier=classifier, fusion=classifier.fusion_config("speech"))
        self.companions = companion_pairs(r for r in load_corpus() if r.split != "test")

    def __call__(self, records: Sequence[Record], texts: Sequence[str]) -> dict[str, Any]:
        predicted = [flagged(h) for h in self.engine.check_many(list(texts), "speech")]
        scores = score([r.labels for r in records], predicted, self.companions)
        edits = length = 0
        for r, text in zip(records, texts, strict=True):
            e, n = cer_counts(r.text, text)
            edits, length = edits + e, length + n
        return {
            "records": len(records),
            "recall": round(scores.micro.recall, 4),
            "precision": round(scores.micro.precision, 4),
            "f1": round(scores.micro.f1, 4),
            "labels": scores.micro.tp + scores.micro.fn,
            "clean_flagged": scores.clean_flagged,
            "clean_total": scores.clean_total,
            "clean_flag_rate": round(scores.clean_flag_rate, 4),
            "cer": round(edits / max(1, length), 4),
            "empty_transcripts": sum(1 for t in texts if not t.strip()),
        }


def given_args(argv: Sequence[str] | None) -> str:
    """The arguments as typed (``sys.argv`` when ``main`` was called without any)."""
    import shlex
    import sys

    given = list(sys.argv[1:] if argv is None else argv)
    return (" " + shlex.join(given)) if given else ""


def markdown(result: dict[str, Any]) -> str:
    """The table, with how it was made."""
    lines = [
        f"# Spoken claims in room conditions ({result['split']} split, reader `{result['reader']}`)",
        "",
        f"{result['records']} sentences ({result['positives']} with claims, {result['clean']} clean) of the "
        f"{result['split_records']} in the split: those voiced in the TTS cache, in key order. Corpus "
        f"{result['corpus_hash']}, rendering `{ROOMS_VERSION}`, ASR as `scan` reads by default "
        "(embedded Whisper base, int8, CPU, greedy, batches of 8 VAD chunks); claims = rules + classifier at "
        "the speech operating point.",
        "",
        "| condition | 条件 | spoken-claims recall | clean flagged | CER | micro F1 |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, row in result["conditions"].items():
        mark = " **target**" if name == TARGET else ""
        lines.append(
            f"| `{name}`{mark} | {row['label']} | {row['recall']:.3f} | {row['clean_flag_rate']:.1%} "
            f"({row['clean_flagged']}/{row['clean_total']}) | {row['cer']:.3f} | {row['f1']:.3f} |"
        )
    lines += [
        "",
        f"Command: `{result['command']}`. Load average during the run: {result['load_average']}.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    from benchmarks.acoustics.candidates import READERS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=SPLITS)
    parser.add_argument("--limit", type=int, default=None, help="the first N cached sentences (key order)")
    parser.add_argument("--conditions", nargs="+", default=[c.name for c in CONDITIONS],
                        choices=[c.name for c in CONDITIONS])
    parser.add_argument("--reader", default=PRODUCT.name, choices=sorted(READERS))
    parser.add_argument("--threads", type=int, default=0, help="CPU threads for Whisper (0: one per core)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--name", default=None, help="results file stem (default: claims_rooms[_split][_reader])")
    parser.add_argument("--cached-only", action="store_true",
                        help="read nothing: score the sentences already read under every condition asked")
    args = parser.parse_args(argv)

    records = cached_subset(args.split, args.limit)
    if args.cached_only:
        read = [set(cached_transcripts(transcript_cache(name, args.reader))) for name in args.conditions]
        records = [r for r in records if all(text_key(r.text) in keys for keys in read)]
    if not records:
        raise SystemExit(f"no {args.split} sentence is voiced yet: run `python -m benchmarks.claims.asr_noisy`")
    split_records = len(load_corpus(args.split))
    print(f"{len(records)} of {split_records} {args.split} sentences voiced and used (N = {len(records)})")
    reader = READERS[args.reader]
    base = None if args.cached_only else product_asr(args.threads)
    voices, scorer = Voices(), Scorer()
    rows: dict[str, Any] = {}
    by_name = {c.name: c for c in CONDITIONS}
    for condition in (by_name[name] for name in dict.fromkeys(args.conditions)):  # in the order asked
        started = time.monotonic()
        texts = transcribe_condition(condition, reader, records, base, voices)
        rows[condition.name] = {"label": condition.label, **scorer(records, [texts[text_key(r.text)] for r in records])}
        print(f"{condition.name}: recall {rows[condition.name]['recall']:.3f}, clean flagged "
              f"{rows[condition.name]['clean_flag_rate']:.1%}, CER {rows[condition.name]['cer']:.3f} "
              f"({time.monotonic() - started:.0f} s)", flush=True)
    from benchmarks.suite.machine import load_average

    result: dict[str, Any] = {
        "split": args.split,
        "reader": reader.name,
        "records": len(records),
        "positives": sum(1 for r in records if r.labels),
        "clean": sum(1 for r in records if not r.labels),
        "split_records": split_records,
        "corpus_hash": corpus_hash(),
        "rendering": ROOMS_VERSION,
        "command": "python -m benchmarks.acoustics" + given_args(argv),
        "load_average": load_average(),
        "conditions": {c.name: rows[c.name] for c in CONDITIONS if c.name in rows},
    }
    suffix = ("" if args.split == "test" else f"_{args.split}") + ("" if reader is PRODUCT else f"_{reader.name}")
    write_results(args.out / (args.name or f"claims_rooms{suffix}"), result, markdown(result))
    print(markdown(result))
    return result
