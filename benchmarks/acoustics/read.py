"""Read rendered sentences with the product's ASR, as ``scan`` reads a recording, and cache the transcripts.

``scan`` (default options: embedded Whisper base, int8 on the CPU, greedy, ``asr_batch_size`` 8)
cuts its audio into speech chunks with Silero VAD and decodes them eight at a time
(:class:`monitor.observations.chunk_batching.ChunkQueue`). Here each rendered sentence is
handed to one such queue as its own piece of audio, placed :data:`STRIDE_S` apart in stream
time, so chunks of different sentences share batches as pieces of a scan do, and every segment
is given back to the sentence it came from.

A :class:`Reader` is the product's ASR plus optional changes (tuning candidates): an
audio front end applied before the ASR, and replaced VAD cut / decode options. Transcripts go to
``<cache>/claims_rooms/<ROOMS_VERSION>-<condition>-<reader>/transcripts.jsonl`` keyed by the
sentence's text key, so a rerun reads only what is missing and a stopped run resumes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.acoustics.conditions import ROOMS_VERSION
from monitor.engines.cache import cache_dir
from monitor.media.types import AudioPCM
from monitor.observations.asr import AsrOptions, FasterWhisperAsr, transcript_text
from monitor.observations.batched_decode import ChunkDecoder
from monitor.observations.chunk_batching import ChunkQueue

__all__ = [
    "PRODUCT",
    "STRIDE_S",
    "Reader",
    "append_transcripts",
    "cached_transcripts",
    "product_asr",
    "read_clips",
    "read_speed",
    "transcript_cache",
]

STRIDE_S = 1000.0
"""Stream seconds between two sentences handed to the queue (longer than any sentence)."""


@dataclass(frozen=True, slots=True)
class Reader:
    """The product's ASR with optional changes; ``name`` keys its transcript cache."""

    name: str
    asr: dict[str, Any] = field(default_factory=dict)
    """Changes to :class:`AsrOptions` (``beam_size``, ``batch_size``...)."""
    cut: dict[str, Any] = field(default_factory=dict)
    """Changes to :class:`CutOptions` (VAD threshold, pads...)."""
    decode: dict[str, Any] = field(default_factory=dict)
    """Changes to :class:`ChunkDecodeOptions` (reliability thresholds...)."""
    front: Callable[[np.ndarray], np.ndarray] | None = None
    """Audio processing before the ASR (enhancement candidates)."""

    def engine(self, base: FasterWhisperAsr) -> FasterWhisperAsr:
        """An engine on ``base``'s loaded model with this reader's changes."""
        engine = base.sharing_model(**self.asr) if self.asr else base.sharing_model()
        if self.cut:
            engine.cut = replace(engine.cut, **self.cut)
        if self.decode:
            options = replace(engine.chunks.options, **self.decode)
            engine.chunks = ChunkDecoder(engine.model, engine.options.language, engine.prompt.text or None, options,
                                         beam_size=engine.options.beam_size, hotwords=engine.prompt.hotwords_text)
        return engine


PRODUCT = Reader("product")
"""``scan``'s reader with its default options."""


def product_asr(threads: int = 0) -> FasterWhisperAsr:
    """The ASR ``scan`` builds with default options on the CPU (``threads`` 0: one per core)."""
    return FasterWhisperAsr(AsrOptions(batch_size=8, cpu_threads=threads))


def transcript_cache(condition: str, reader: str) -> Path:
    return cache_dir("claims_rooms", f"{ROOMS_VERSION}-{condition}-{reader}") / "transcripts.jsonl"


def cached_transcripts(path: Path) -> dict[str, str]:
    """Transcripts by text key (re-derived from Whisper's raw text with the scan's cleanup)."""
    if not path.exists():
        return {}
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {str(row["key"]): transcript_text(str(row["raw_text"])) for row in rows}


def read_clips(engine: FasterWhisperAsr, clips: Sequence[np.ndarray]) -> list[tuple[str, str]]:
    """(raw, cleaned) transcript of each clip, read through one batch queue as pieces of a scan."""
    queue: ChunkQueue[Any] = ChunkQueue(engine)
    for i, clip in enumerate(clips):
        queue.add(AudioPCM(np.asarray(clip, np.float32), start=i * STRIDE_S))
    per: list[list[tuple[float, str, str]]] = [[] for _ in clips]
    for segment in queue.finish():
        per[int(segment.start // STRIDE_S)].append((segment.start, segment.raw_text, segment.text))
    out = []
    for rows in per:
        rows.sort()
        out.append(("".join(r[1] for r in rows), "".join(r[2] for r in rows)))
    return out


def append_transcripts(
    path: Path, keys: Sequence[str], reads: Sequence[tuple[str, str]], seconds: Sequence[float], read_s: float
) -> None:
    """Append one row per clip: its transcript, its length and its share (by length) of the read's time."""
    total = sum(seconds) or 1.0
    with path.open("a", encoding="utf-8") as out:
        for key, (raw, text), audio_s in zip(keys, reads, seconds, strict=True):
            row = {"key": key, "raw_text": raw, "text": text, "audio_s": round(audio_s, 3),
                   "read_s": round(read_s * audio_s / total, 4)}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_speed(path: Path, keys: Iterable[str]) -> float | None:
    """Seconds of audio read per second of reading (front end + ASR) over ``keys``' cached rows."""
    if not path.exists():
        return None
    wanted = set(keys)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r["key"] in wanted and "read_s" in r]
    spent = sum(float(r["read_s"]) for r in rows)
    return sum(float(r["audio_s"]) for r in rows) / spent if spent else None
