"""The ASR-noisy condition: corpus sentences spoken by TTS and transcribed by faster-whisper.

``python -m benchmarks.claims.asr_noisy [--split test] [--limit N]`` voices each
sentence with :class:`benchmarks.media.tts.MandarinTTS` and transcribes it with the
scan's own ASR (:class:`monitor.observations.asr.FasterWhisperAsr` with default
:class:`AsrOptions`: embedded Whisper base, int8, beam 5, ``zh``, VAD and the scan's
``INITIAL_PROMPT``). Transcripts go to a JSONL file in the cache folder keyed by the
corpus hash; a rerun skips the ids already done, so the job can be stopped and resumed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from benchmarks.claims.corpus import CORPUS_DIR, SPLITS, Record, load_corpus
from monitor.engines.cache import cache_dir

__all__ = ["corpus_hash", "load_transcripts", "transcript_path", "transcribe_split"]


def corpus_hash(directory: Path = CORPUS_DIR) -> str:
    """SHA-256 (first 16 hex digits) over the corpus JSONL files, in name order."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.jsonl")):
        digest.update(path.name.encode("utf-8"))
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def transcript_path(split: str, version: str | None = None) -> Path:
    """``<cache>/claims_asr/<corpus hash>/<split>.jsonl``."""
    return cache_dir("claims_asr", version or corpus_hash()) / f"{split}.jsonl"


def load_transcripts(split: str, version: str | None = None) -> dict[str, str]:
    """Simplified-Chinese transcripts by record id (empty when none were made yet)."""
    path = transcript_path(split, version)
    if not path.exists():
        return {}
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out[row["id"]] = row["text"]
    return out


def transcribe_split(records: Sequence[Record], path: Path) -> int:
    """Append a transcript line for every record not yet in ``path``; returns how many were added."""
    from tqdm import tqdm

    from benchmarks.media.tts import SAMPLE_RATE, MandarinTTS
    from monitor.media.types import AudioPCM
    from monitor.observations.asr import AsrOptions, FasterWhisperAsr

    done = set()
    if path.exists():
        done = {json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    # Hash order, so a partial run is a fair sample of the split rather than its first files.
    todo = sorted((r for r in records if r.id not in done), key=lambda r: hashlib.sha1(r.id.encode()).hexdigest())
    if not todo:
        return 0
    tts = MandarinTTS()
    asr = FasterWhisperAsr(AsrOptions())
    with path.open("a", encoding="utf-8") as out:
        for r in tqdm(todo, desc=f"TTS→ASR {path.stem}", unit="utt"):
            audio = AudioPCM(tts.synthesize(r.text), sample_rate=SAMPLE_RATE)
            segments = asr.transcribe(audio)
            row = {
                "id": r.id,
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
    args = parser.parse_args(argv)
    records = load_corpus(args.split)[: args.limit]
    path = transcript_path(args.split)
    added = transcribe_split(records, path)
    print(f"{added} transcribed; {len(load_transcripts(args.split))}/{len(records)} done → {path}")


if __name__ == "__main__":
    main()
