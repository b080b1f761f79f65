"""The ASR-noisy condition: corpus sentences spoken by TTS and transcribed by faster-whisper.

``python -m benchmarks.claims.asr_noisy [--split test] [--limit N] [--reader transcribe|window]`` voices
each sentence with :class:`monitor.demo.tts.MandarinTTS` and transcribes it with the
product's own ASR (:class:`monitor.observations.asr.FasterWhisperAsr` with default
:class:`AsrOptions`: embedded Whisper base, int8, ``zh``, VAD and ``INITIAL_PROMPT``),
read the way ``scan`` reads (``transcribe``, 30 s windows) or the way ``watch`` reads live
utterances (``window``: ``transcribe_batch``, a 15 s window). Transcripts go to one JSONL
file per reader in the cache folder, keyed by the SHA-1 of the sentence text, so editing or
adding corpus sentences only voices the new ones, and a stopped job resumes where it was.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from benchmarks.claims.corpus import CORPUS_DIR, SPLITS, Record, load_corpus
from monitor.engines.cache import cache_dir

__all__ = ["corpus_hash", "load_transcripts", "text_key", "transcript_path", "transcribe_records"]

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


def _cached(path: Path) -> dict[str, str]:
    """Transcripts by text key, re-derived from Whisper's raw output with the scan's current cleanup."""
    from monitor.observations.asr import transcript_text

    if not path.exists():
        return {}
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {row["key"]: transcript_text(row["raw_text"]) for row in rows}


def load_transcripts(records: Sequence[Record], path: Path | None = None, reader: str = "transcribe") -> dict[str, str]:
    """Simplified-Chinese transcripts by record id, for the records transcribed so far."""
    cached = _cached(path or transcript_path(reader))
    return {r.id: cached[text_key(r.text)] for r in records if text_key(r.text) in cached}


def transcribe_records(records: Sequence[Record], path: Path | None = None, reader: str = "transcribe") -> int:
    """Append a transcript line for every record whose text is not yet in ``path``; returns how many were added."""
    from tqdm import tqdm

    from monitor.demo.tts import SAMPLE_RATE, MandarinTTS
    from monitor.media.types import AudioPCM
    from monitor.observations.asr import AsrOptions, FasterWhisperAsr

    path = path or transcript_path(reader)
    done = set(_cached(path))
    todo = {text_key(r.text): r for r in records if text_key(r.text) not in done}
    if not todo:
        return 0
    tts = MandarinTTS()
    asr = FasterWhisperAsr(AsrOptions())
    with path.open("a", encoding="utf-8") as out:
        # Key order, so a partial run is a fair sample of the split rather than its first files.
        for key in tqdm(sorted(todo), desc=f"TTS→ASR, {reader} ({len(todo)} sentences)", unit="utt"):
            r = todo[key]
            audio = AudioPCM(tts.synthesize(r.text), sample_rate=SAMPLE_RATE)
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
    parser.add_argument("--reader", default="transcribe", choices=READERS, help="as scan reads, or as watch reads")
    args = parser.parse_args(argv)
    records = load_corpus(args.split)[: args.limit]
    added = transcribe_records(records, reader=args.reader)
    done = len(load_transcripts(records, reader=args.reader))
    print(f"{added} transcribed; {done}/{len(records)} done → {transcript_path(args.reader)}")


if __name__ == "__main__":
    main()
