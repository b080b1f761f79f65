"""How short a window live utterances can be decoded in: character error rate and time per window.

``python -m benchmarks.speed.asr_window [--utterances 80] [--windows 10 15 20]`` voices
sentences of the claims corpus's test split (spread over the split) with the project's
TTS, then reads each one through the embedded Whisper base three ways and compares with
the sentence itself:

- ``transcribe``: ``FasterWhisperAsr.transcribe``, faster-whisper as it comes (30 s window): the baseline;
- ``window N s``: :class:`~monitor.observations.utterance_decode.UtteranceDecoder` padded to N s, one clip at a time;
- ``window 15 s, batch 2``: the default window, two clips per call, as two rooms' utterances in ``livemon watch``.

Character error rate ignores punctuation and spaces. Writes ``benchmarks/results/asr_window.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from benchmarks import RESULTS_DIR
from benchmarks.cer import cer_counts
from benchmarks.claims.corpus import load_corpus
from benchmarks.suite.machine import describe_machine
from monitor.engines.cache import cache_dir
from monitor.media.types import SAMPLE_RATE, AudioPCM
from monitor.observations.asr import FasterWhisperAsr, transcript_text
from monitor.observations.utterance_decode import UtteranceDecodeOptions, UtteranceDecoder

__all__ = ["measure_windows", "voiced_sentences"]

Reader = Callable[[Sequence[np.ndarray]], list[str]]


def voiced_sentences(count: int) -> tuple[list[str], list[np.ndarray]]:
    """``count`` test-split sentences spread over the split, and their TTS audio (cached by text)."""
    from monitor.demo.tts import MandarinTTS

    records = load_corpus("test")
    texts = [r.text for r in records[:: max(1, len(records) // count)][:count]]
    folder = cache_dir("asr_window", "tts")
    tts: MandarinTTS | None = None
    audio = []
    for text in tqdm(texts, desc="voicing", unit="sentence"):
        path = folder / f"{hashlib.sha1(text.encode()).hexdigest()}.npy"
        if not path.is_file():
            tts = tts or MandarinTTS()
            np.save(path, tts.synthesize(text).astype(np.float32))
        audio.append(np.load(path))
    return texts, audio


def _score(name: str, read: Reader, texts: Sequence[str], audio: Sequence[np.ndarray], batch: int) -> dict[str, Any]:
    read(audio[:batch])  # warm-up
    started = time.perf_counter()
    heard: list[str] = []
    for at in tqdm(range(0, len(audio), batch), desc=name, unit="batch", leave=False):
        heard += read(audio[at : at + batch])
    seconds = time.perf_counter() - started
    errors, length = map(sum, zip(*(cer_counts(t, h) for t, h in zip(texts, heard, strict=True)), strict=True))
    return {"reader": name, "cer": round(errors / length, 4), "s_per_utterance": round(seconds / len(audio), 3)}


def measure_windows(asr: FasterWhisperAsr, texts: Sequence[str], audio: Sequence[np.ndarray],
                    windows: Sequence[float]) -> list[dict[str, Any]]:
    """One row per reader; each row's ``speedup`` is the baseline's time over its own."""

    def plain(clips: Sequence[np.ndarray]) -> list[str]:
        return ["".join(s.text for s in asr.transcribe(AudioPCM(c, SAMPLE_RATE))) for c in clips]

    def windowed(window: float) -> Reader:
        decoder = UtteranceDecoder(asr.model, asr.options.language, asr.utterances.prompt_text,
                                   UtteranceDecodeOptions(window_s=window))
        return lambda clips: [transcript_text(d.text) for d in decoder.decode(clips)]

    longest = max(c.size for c in audio) / SAMPLE_RATE
    rows = [_score("transcribe (30 s window)", plain, texts, audio, 1)]
    rows += [_score(f"window {w:g} s", windowed(w), texts, audio, 1) for w in windows if w >= longest]
    rows.append(_score("window 15 s, batch 2", windowed(15.0), texts, audio, 2))
    for row in rows:
        row["speedup"] = round(rows[0]["s_per_utterance"] / row["s_per_utterance"], 2)
    return rows


def _markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Live utterances: decode window against accuracy and time",
        "",
        f"{result['utterances']} test-split sentences of the claims corpus, TTS-voiced (mean "
        f"{result['mean_s']:.1f} s, longest {result['longest_s']:.1f} s), embedded Whisper base int8 on "
        f"{result['machine']['cpu']} ({result['machine']['cores']} cores). Command: `{result['command']}`.",
        "",
        "| reader | CER | s / utterance | speed vs transcribe |",
        "|---|---:|---:|---:|",
        *(
            f"| {r['reader']} | {r['cer']:.3f} | {r['s_per_utterance']:.3f} | {r['speedup']:.2f}x |"
            for r in result["rows"]
        ),
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utterances", type=int, default=80)
    parser.add_argument("--windows", type=float, nargs="+", default=[10.0, 15.0, 20.0])
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    texts, audio = voiced_sentences(args.utterances)
    asr = FasterWhisperAsr()
    seconds = [c.size / SAMPLE_RATE for c in audio]
    result = {
        "command": " ".join(["python -m benchmarks.speed.asr_window", *(sys.argv[1:] if argv is None else argv)]),
        "machine": describe_machine("cpu"),
        "utterances": len(audio),
        "mean_s": round(float(np.mean(seconds)), 2),
        "longest_s": round(max(seconds), 2),
        "default_window_s": UtteranceDecodeOptions().window_s,
        "rows": measure_windows(asr, texts, audio, args.windows),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "asr_window.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (args.out / "asr_window.md").write_text(_markdown(result), encoding="utf-8")
    print(_markdown(result))
    return result


if __name__ == "__main__":
    main()
