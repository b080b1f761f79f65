"""The ASR-noisy condition: corpus sentences spoken by TTS and transcribed by faster-whisper.

``python -m benchmarks.claims.asr_noisy [--split test] [--limit N] [--reader transcribe|window]`` voices
each sentence with :class:`monitor.demo.tts.MandarinTTS` and transcribes it with the
product's own ASR (:class:`monitor.observations.asr.FasterWhisperAsr` with default
:class:`AsrOptions`: embedded Whisper base, int8, ``zh``, VAD and the ``default`` prompt of ``prompts/asr``),
read one sentence at a time the way ``scan`` read before batching (``transcribe``, 30 s windows;
``asr_batch_size: 0``; whole recordings read in batches are measured by
:mod:`benchmarks.speed.asr_batched`) or the way ``watch`` reads live utterances (``window``:
``transcribe_batch``, a 15 s window). Transcripts go to one JSONL
file per reader in the cache folder, keyed by the SHA-1 of the sentence text, so editing or
adding corpus sentences only voices the new ones, and a stopped job resumes where it was.

The voiced audio is kept too (``<cache>/claims_tts/<TTS_VERSION>/<key>.npy``, 16 kHz int16),
so other readers (batched pipelines, other models, noisy conditions) are measured on the same
speech without voicing it again. ``--publish`` copies the cached transcripts into
``benchmarks/claims/transcripts/`` (committed, a few hundred kB), which every later run reads
first: a fresh machine scores the ASR condition without voicing a sentence.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.claims.corpus import CORPUS_DIR, SPLITS, Record, load_corpus
from monitor.demo.tts import MandarinTTS
from monitor.engines.cache import cache_dir

__all__ = [
    "corpus_hash",
    "load_transcripts",
    "publish",
    "text_key",
    "transcribe_records",
    "transcript_path",
    "voiced_audio",
]

TTS_VERSION = "tts1-kokoro-jm_kumo"
"""Names the voice the cached audio was made with; change it when :class:`MandarinTTS` changes."""
COMMITTED_DIR = Path(__file__).parent / "transcripts"
"""Published transcripts, one ``<pipeline version>.jsonl`` per reader, read before the cache."""
PIPELINE_VERSIONS = {"transcribe": "tts1-whisper-base-beam1", "window": "tts1-whisper-base-window15"}
"""Per reader, names the TTS + ASR settings the cached transcripts were made with; change it when they change."""
READERS = tuple(PIPELINE_VERSIONS)


def corpus_hash(directory: Path = CORPUS_DIR) -> str:
    """SHA-256 (first 16 hex digits) over the corpus JSONL files, in name order."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.jsonl")):
        digest.update(path.name.encode("utf-8"))
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def text_key(text: str) -> str:
    """Cache key of one sentence: SHA-1 of its text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def transcript_path(reader: str = "transcribe") -> Path:
    """``<cache>/claims_asr/<pipeline version of the reader>/transcripts.jsonl``."""
    return cache_dir("claims_asr", PIPELINE_VERSIONS[reader]) / "transcripts.jsonl"


def committed_path(reader: str = "transcribe") -> Path:
    """``benchmarks/claims/transcripts/<pipeline version of the reader>.jsonl``."""
    return COMMITTED_DIR / f"{PIPELINE_VERSIONS[reader]}.jsonl"


def _rows(path: Path) -> dict[str, dict[str, object]]:
    if not path.exists():
        return {}
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {str(row["key"]): row for row in rows}


def _cached(path: Path, reader: str | None = None) -> dict[str, str]:
    """Transcripts by text key, re-derived from Whisper's raw output with the scan's current cleanup.

    With ``reader``, the published transcripts of that reader come first and ``path`` adds to them.
    """
    from monitor.observations.asr import transcript_text

    rows = {**(_rows(committed_path(reader)) if reader else {}), **_rows(path)}
    return {key: transcript_text(str(row["raw_text"])) for key, row in rows.items()}


def load_transcripts(records: Sequence[Record], path: Path | None = None, reader: str = "transcribe") -> dict[str, str]:
    """Simplified-Chinese transcripts by record id, for the records transcribed so far."""
    cached = _cached(path or transcript_path(reader), reader)
    return {r.id: cached[text_key(r.text)] for r in records if text_key(r.text) in cached}


def publish(reader: str = "transcribe") -> int:
    """Merge the cached transcripts into the committed file (sorted by key); returns its row count."""
    rows = {**_rows(committed_path(reader)), **_rows(transcript_path(reader))}
    COMMITTED_DIR.mkdir(exist_ok=True)
    lines = [json.dumps(rows[key], ensure_ascii=False, sort_keys=True) for key in sorted(rows)]
    committed_path(reader).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(rows)


def voiced_audio(text: str, tts: MandarinTTS | None = None) -> np.ndarray:
    """``text`` spoken by the benchmark voice, float32 16 kHz, from the audio cache or voiced now and kept."""
    path = cache_dir("claims_tts", TTS_VERSION) / f"{text_key(text)}.npy"
    if path.exists():
        return np.load(path).astype(np.float32) / 32767.0
    audio = (tts or MandarinTTS()).synthesize(text)
    temporary = path.with_suffix(".tmp.npy")
    np.save(temporary, np.round(np.clip(audio, -1.0, 1.0) * 32767.0).astype(np.int16))
    temporary.replace(path)
    return audio


def transcribe_records(records: Sequence[Record], path: Path | None = None, reader: str = "transcribe") -> int:
    """Append a transcript line for every record whose text is not yet in ``path``; returns how many were added."""
    from tqdm import tqdm

    from monitor.demo.tts import SAMPLE_RATE
    from monitor.media.types import AudioPCM
    from monitor.observations.asr import AsrOptions, FasterWhisperAsr

    path = path or transcript_path(reader)
    done = set(_cached(path, reader))
    todo = {text_key(r.text): r for r in records if text_key(r.text) not in done}
    if not todo:
        return 0
    tts = MandarinTTS()
    asr = FasterWhisperAsr(AsrOptions())
    with path.open("a", encoding="utf-8") as out:
        # Key order, so a partial run is a fair sample of the split rather than its first files.
        for key in tqdm(sorted(todo), desc=f"TTS→ASR, {reader} ({len(todo)} sentences)", unit="utt"):
            r = todo[key]
            audio = AudioPCM(voiced_audio(r.text, tts), sample_rate=SAMPLE_RATE)
            segments = asr.transcribe(audio) if reader == "transcribe" else asr.transcribe_batch([audio])[0]
            row = {
                "key": key,
                "text": "".join(s.text for s in segments),
                "raw_text": "".join(s.raw_text for s in segments),
                "seconds": round(audio.duration, 2),
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
    return len(todo)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=SPLITS)
    parser.add_argument("--limit", type=int, default=None, help="only the first N records of the split")
    parser.add_argument("--reader", default="transcribe", choices=READERS,
                        help="as scan read before batching, or as watch reads")
    parser.add_argument("--publish", action="store_true", help="then copy the transcripts into the committed file")
    args = parser.parse_args(argv)
    records = load_corpus(args.split)[: args.limit]
    added = transcribe_records(records, reader=args.reader)
    done = len(load_transcripts(records, reader=args.reader))
    print(f"{added} transcribed; {done}/{len(records)} done → {transcript_path(args.reader)}")
    if args.publish:
        print(f"{publish(args.reader)} transcripts → {committed_path(args.reader)}")


if __name__ == "__main__":
    main()
