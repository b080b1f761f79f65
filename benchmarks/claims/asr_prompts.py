"""What each ASR prompt of ``prompts/asr`` changes, on corpus sentences of its vertical.

``python -m benchmarks.claims.asr_prompts [--per-vertical 24] [--verticals tea food ...]`` tags
claims-corpus sentences to verticals by the products they name (:mod:`benchmarks.claims.verticals`,
a taxonomy kept apart from the hotwords), takes up to ``--per-vertical`` of each (test split first,
sentences already voiced first, then the dev split), voices them with the benchmark TTS
(:func:`benchmarks.claims.asr_noisy.voiced_audio`, cached) and transcribes them with the product's
ASR (:class:`~monitor.observations.asr.FasterWhisperAsr`, embedded Whisper base, int8, CPU, the
scan's reader: speech chunks decoded 8 at a time) under each condition:

- ``none``: no prompt;
- ``default``: ``prompts/asr/default.toml``;
- ``vertical``: the vertical's own prompt sentence, without its hotwords;
- ``vertical+hotwords``: the vertical's prompt and hotwords (faster-whisper's ``hotwords``).

Per vertical and condition: CER against the written sentence, spoken-claims recall (micro, the
product's rules+classifier at the speech operating point, scored as :mod:`benchmarks.claims.evaluate`)
and the share of clean sentences flagged. Writes ``benchmarks/results/asr_prompts.json`` and ``.md``.
Transcripts are cached per prompt (``<cache>/claims_asr_prompts/``) so a stopped run resumes.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import RESULTS_DIR, write_results
from benchmarks.cer import cer_counts
from benchmarks.claims.asr_noisy import TTS_VERSION, text_key, voiced_audio
from benchmarks.claims.corpus import Record, load_corpus
from benchmarks.claims.evaluate import companion_pairs, flagged, score
from benchmarks.claims.verticals import TAXONOMY, hotword_share, tagged
from monitor.engines.cache import cache_dir
from monitor.observations.asr_prompt import NO_PROMPT, AsrPrompt, load_asr_prompts

__all__ = ["conditions", "main", "pick"]

SPACING_S = 100.0
"""Each sentence is placed this far after the last in one stream, so segments map back to sentences."""


def _voiced(text: str) -> bool:
    return (cache_dir("claims_tts", TTS_VERSION) / f"{text_key(text)}.npy").exists()


def pick(vertical: str, limit: int) -> list[Record]:
    """Up to ``limit`` sentences of ``vertical``: test split, voiced ones first, then dev."""
    out: list[Record] = []
    for split in ("test", "dev"):
        found = tagged(load_corpus(split))[vertical]
        out += sorted(found, key=lambda r: (not _voiced(r.text), text_key(r.text)))
    return out[:limit]


def conditions(vertical: str) -> dict[str, AsrPrompt]:
    """The prompts compared on ``vertical``'s sentences."""
    prompts = load_asr_prompts()
    own = prompts.own(vertical)
    return {
        "none": NO_PROMPT,
        "default": prompts.for_vertical(None),
        "vertical": dataclasses.replace(own, hotwords=()),
        "vertical+hotwords": own,
    }


def _cache(prompt: AsrPrompt) -> Path:
    tag = hashlib.sha1(f"{prompt.text}\x1f{prompt.hotwords_text}".encode()).hexdigest()[:12]
    return cache_dir("claims_asr_prompts", f"base-int8-b8-{tag}") / "transcripts.jsonl"


def _transcribe(asr: Any, records: Sequence[Record], prompt: AsrPrompt) -> tuple[dict[str, str], float]:
    """Transcripts by text key (cached), and the seconds spent decoding the new ones."""
    from monitor.demo.tts import SAMPLE_RATE
    from monitor.media.types import AudioPCM
    from monitor.observations.chunk_batching import ChunkQueue

    path = _cache(prompt)
    done: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            done[row["key"]] = row["text"]
    todo = [r for r in records if text_key(r.text) not in done]
    if not todo:
        return done, 0.0
    reader = asr.with_prompt(prompt)
    audio = [voiced_audio(r.text) for r in todo]
    started = time.perf_counter()
    queue: ChunkQueue[Any] = ChunkQueue(reader)
    for i, samples in enumerate(audio):
        queue.add(AudioPCM(samples, SAMPLE_RATE, start=i * SPACING_S))
    texts = [""] * len(todo)
    for segment in queue.finish():
        texts[int(segment.start // SPACING_S)] += segment.text
    seconds = time.perf_counter() - started
    with path.open("a", encoding="utf-8") as out:
        for r, text in zip(todo, texts, strict=True):
            done[text_key(r.text)] = text
            out.write(json.dumps({"key": text_key(r.text), "text": text}, ensure_ascii=False) + "\n")
    return done, seconds


def _scores(records: Sequence[Record], texts: Sequence[str], engine: Any, companions: Any) -> dict[str, Any]:
    edits = length = 0
    for r, t in zip(records, texts, strict=True):
        e, n = cer_counts(r.text, t)
        edits, length = edits + e, length + n
    predicted = [flagged(h) for h in engine.check_many(list(texts), "speech")]
    s = score([r.labels for r in records], predicted, companions)
    return {
        "cer": round(edits / max(1, length), 4),
        "recall": round(s.micro.recall, 4),
        "precision": round(s.micro.precision, 4),
        "clean_flagged": s.clean_flagged,
        "clean_total": s.clean_total,
        "edits": edits,
        "chars": length,
        "tp": s.micro.tp,
        "fn": s.micro.fn,
        "fp": s.micro.fp,
    }


def pooled(rows: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per condition, every vertical's sentences together: CER over all characters, micro recall, clean flagged."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows.values():
        for name, c in row["conditions"].items():
            total = out.setdefault(name, dict.fromkeys(("edits", "chars", "tp", "fn", "fp", "clean_flagged",
                                                         "clean_total", "echoes"), 0))
            for key in total:
                total[key] += c[key]
    for total in out.values():
        total["cer"] = round(total["edits"] / max(1, total["chars"]), 4)
        total["recall"] = round(total["tp"] / max(1, total["tp"] + total["fn"]), 4)
    return out


def measure(verticals: Sequence[str], per_vertical: int) -> dict[str, Any]:
    from monitor.observations.asr import AsrOptions, FasterWhisperAsr
    from monitor.pipeline.engines import build_claim_engine

    asr = FasterWhisperAsr(AsrOptions(batch_size=8))
    engine = build_claim_engine()
    companions = companion_pairs(load_corpus("train") + load_corpus("dev"))
    rows: dict[str, Any] = {}
    for vertical in verticals:
        records = pick(vertical, per_vertical)
        own = load_asr_prompts().own(vertical)
        row: dict[str, Any] = {
            "sentences": len(records),
            "positives": sum(r.is_positive for r in records),
            "splits": {s: sum(r.split == s for r in records) for s in ("test", "dev")},
            "hotword_share": round(hotword_share(records, own.hotwords), 3),
            "prompt": own.ref,
            "conditions": {},
        }
        for name, prompt in conditions(vertical).items():
            done, seconds = _transcribe(asr, records, prompt)
            texts = [done[text_key(r.text)] for r in records]
            found = _scores(records, texts, engine, companions)
            echoes = sum(bool(prompt.text) and _echoes(prompt, t) for t in texts)
            row["conditions"][name] = {**found, "decode_seconds": round(seconds, 1), "echoes": echoes}
            print(vertical, name, found, f"{seconds:.1f} s", flush=True)
        rows[vertical] = row
    return {"asr": asr.name, "reader": "scan (speech chunks, batch 8)", "tts": TTS_VERSION, "verticals": rows,
            "all": pooled(rows)}


def _echoes(prompt: AsrPrompt, transcript: str) -> bool:
    """The transcript repeats a stretch of the prompt that the sentence did not say (8+ characters)."""
    text = prompt.text
    return any(text[i : i + 8] in transcript for i in range(max(0, len(text) - 7)))


def _markdown(result: dict[str, Any]) -> str:
    lines = [
        "# ASR prompts per vertical (`python -m benchmarks.claims.asr_prompts`)",
        "",
        f"{result['asr']}, {result['reader']}; TTS `{result['tts']}`. Claims: rules+classifier, speech operating "
        "point. Sentences tagged to a vertical by product nouns (`benchmarks/claims/verticals.py`), not by the "
        "hotwords; *hotword share* is the share of a vertical's sentences that say one of its hotwords (the "
        "bias in the vertical prompt's favour).",
        "",
        "| vertical | sentences (claims) | hotword share | condition | CER | recall | clean flagged | decode s |",
        "|---|---|---:|---|---:|---:|---:|---:|",
    ]
    for vertical, row in result["verticals"].items():
        for name, c in row["conditions"].items():
            clean = f"{c['clean_flagged']}/{c['clean_total']}"
            lines.append(
                f"| {vertical} | {row['sentences']} ({row['positives']}) | {row['hotword_share']:.2f} | {name} | "
                f"{c['cer']:.3f} | {c['recall']:.3f} | {clean} | {c['decode_seconds']} |"
            )
    sentences = sum(r["sentences"] for r in result["verticals"].values())
    positives = sum(r["positives"] for r in result["verticals"].values())
    for name, c in result["all"].items():
        lines.append(
            f"| **all** | {sentences} ({positives}) | | {name} | {c['cer']:.3f} | {c['recall']:.3f} | "
            f"{c['clean_flagged']}/{c['clean_total']} | |"
        )
    lines += ["", "`vertical` is the vertical's prompt sentence alone; `vertical+hotwords` adds its hotwords. Decode "
              "seconds are wall time on a loaded 2-core machine (indicative only; 0 means the transcripts came "
              "from the cache)."]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-vertical", type=int, default=24)
    parser.add_argument("--verticals", nargs="*", default=list(TAXONOMY), choices=list(TAXONOMY))
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "asr_prompts")
    args = parser.parse_args(argv)
    result = measure(args.verticals, args.per_vertical)
    write_results(args.out, result, _markdown(result))
    return result


if __name__ == "__main__":
    main()
