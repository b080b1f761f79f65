"""Long recordings with known sentences for the batched-ASR benchmark, and how a transcript is scored on them.

A :class:`Room` is one stretch of 16 kHz speech and the sentences said in it (time, text,
labels). Two are built from what is already on disk, nothing is voiced here:

- :func:`claims_room`: test-split sentences of the claims corpus in the benchmark voice,
  read from the TTS cache of :mod:`benchmarks.claims.asr_noisy` (those voiced so far, in the
  order that module voices them), joined by 0.6 s pauses, as a host speaks line after line;
- :func:`demo_room`: the demo room's audio looped (its planted claims and clean beats).

Scoring (:func:`score_transcript`): character error rate over "islands" of sentences that no
transcript segment crosses (a segment that runs over several sentences is compared with all
of them together, so a coarse segmentation is not counted as errors), and spoken-claims F1
and clean flagged from the findings the product makes of the transcript: each finding
belongs to the sentence it overlaps most, and a sentence is flagged with the categories of its
``block``/``review`` findings (:func:`benchmarks.claims.evaluate.score`, companions allowed).
"""

from __future__ import annotations

import wave
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.cer import cer_counts
from benchmarks.claims.asr_noisy import TTS_VERSION, text_key, voiced_audio
from benchmarks.claims.corpus import load_corpus
from benchmarks.claims.evaluate import companion_pairs, score
from monitor.engines.cache import cache_dir
from monitor.media.types import SAMPLE_RATE

__all__ = ["Room", "Sentence", "claims_room", "demo_room", "score_transcript", "write_wav"]

PAUSE_S = 0.6
"""Silence between two sentences of the claims room (the demo's TTS leaves the same)."""
LEAD_S = 0.5


@dataclass(frozen=True, slots=True)
class Sentence:
    start: float
    end: float
    text: str
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Room:
    """A recording (float32 16 kHz mono) and what is said in it."""

    name: str
    samples: np.ndarray
    sentences: tuple[Sentence, ...]

    @property
    def seconds(self) -> float:
        return self.samples.size / SAMPLE_RATE


def claims_room(limit: int | None = None) -> tuple[Room, int]:
    """The voiced test sentences (at most ``limit``) joined by pauses, and how many of the split are voiced."""
    records = load_corpus("test")
    folder = cache_dir("claims_tts", TTS_VERSION)
    voiced = sorted((text_key(r.text), r) for r in records if (folder / f"{text_key(r.text)}.npy").exists())
    chosen = [r for _, r in voiced][: limit or None]
    pause = np.zeros(round(PAUSE_S * SAMPLE_RATE), np.float32)
    parts, sentences, at = [np.zeros(round(LEAD_S * SAMPLE_RATE), np.float32)], [], LEAD_S
    for record in chosen:
        audio = voiced_audio(record.text)
        sentences.append(Sentence(round(at, 3), round(at + audio.size / SAMPLE_RATE, 3), record.text,
                                  tuple(record.labels)))
        parts += [audio, pause]
        at += audio.size / SAMPLE_RATE + PAUSE_S
    return Room("claims test split", np.concatenate(parts), tuple(sentences)), len(voiced)


def demo_room(loops: int) -> Room:
    """The demo room's audio ``loops`` times over, with its beats' speech as sentences."""
    import av

    from monitor.demo import StreamTruth, demo_stream
    from monitor.media.decode import DecodeOptions, DecodeReport, iter_media
    from monitor.media.types import AudioPCM

    video, truth_path = demo_stream()
    truth = StreamTruth.load(truth_path)
    with av.open(str(video)) as container:
        once = np.concatenate([c.samples for c in iter_media(container, DecodeOptions(video=False), DecodeReport())
                               if isinstance(c, AudioPCM)])
    length = once.size / SAMPLE_RATE
    sentences = tuple(
        Sentence(round(k * length + b.speech_start, 3), round(k * length + b.speech_end, 3), b.say,
                 tuple(b.speech_labels))
        for k in range(loops) for b in truth.beats
        if b.say and b.speech_start is not None and b.speech_end is not None
    )
    return Room(f"demo room x{loops}", np.tile(once, loops), sentences)


def write_wav(room: Room, path: Path) -> Path:
    """The room as 16-bit PCM WAV (what ``livemon scan`` and the peer's script read)."""
    pcm = np.round(np.clip(room.samples, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
    return path


def _overlap(a: tuple[float, float], b: Sentence) -> float:
    return max(0.0, min(a[1], b.end) - max(a[0], b.start))


def _owner(span: tuple[float, float], sentences: Sequence[Sentence]) -> int:
    """Index of the sentence ``span`` overlaps most (the nearest one when it overlaps none)."""
    overlaps = [_overlap(span, s) for s in sentences]
    best = int(np.argmax(overlaps))
    if overlaps[best] > 0:
        return best
    middle = (span[0] + span[1]) / 2
    return int(np.argmin([abs((s.start + s.end) / 2 - middle) for s in sentences]))


def _covered(span: tuple[float, float], sentences: Sequence[Sentence], owner: int) -> tuple[int, int]:
    """First and last sentence a segment really runs over (≥ 0.3 s, or half the sentence)."""
    hit = [i for i, s in enumerate(sentences) if _overlap(span, s) >= min(0.3, 0.5 * (s.end - s.start))]
    return (min(hit + [owner]), max(hit + [owner]))


def transcript_cer(sentences: Sequence[Sentence], segments: Sequence[tuple[float, float, str]]) -> tuple[int, int]:
    """Character edits and reference characters over islands of sentences no segment crosses."""
    ranges = sorted(_covered((a, b), sentences, _owner((a, b), sentences)) for a, b, _ in segments)
    islands: list[list[int]] = []
    for lo, hi in ranges:
        if islands and lo <= islands[-1][1]:
            islands[-1][1] = max(islands[-1][1], hi)
        else:
            islands.append([lo, hi])
    island_of: dict[int, int] = {}
    for number, (lo, hi) in enumerate(islands):
        island_of.update(dict.fromkeys(range(lo, hi + 1), number))
    heard: dict[int, list[str]] = {}
    for a, b, text in sorted(segments):
        heard.setdefault(island_of[_owner((a, b), sentences)], []).append(text)
    edits = length = 0
    done: set[int] = set()
    for i, sentence in enumerate(sentences):
        n = island_of.get(i)
        if n is None:  # nothing heard: every character is missed
            e, ln = cer_counts(sentence.text, "")
        elif n in done:
            continue
        else:
            done.add(n)
            lo, hi = islands[n]
            e, ln = cer_counts("".join(s.text for s in sentences[lo : hi + 1]), "".join(heard.get(n, [])))
        edits, length = edits + e, length + ln
    return edits, length


def flagged_sentences(sentences: Sequence[Sentence], findings: Iterable[dict[str, Any]]) -> list[set[str]]:
    """Per sentence, the categories of the ``block``/``review`` speech findings that belong to it."""
    flagged: list[set[str]] = [set() for _ in sentences]
    for f in findings:
        if f.get("source", "speech") == "speech" and f["risk"] != "pass":
            flagged[_owner((float(f["start"]), float(f["end"])), sentences)].add(str(f["category"]))
    return flagged


def score_transcript(
    room: Room, segments: Sequence[tuple[float, float, str]], findings: Iterable[dict[str, Any]]
) -> dict[str, Any]:
    """CER of the transcript, and micro F1 / clean flagged of the findings, on ``room``."""
    edits, length = transcript_cer(room.sentences, segments)
    companions = companion_pairs(r for r in load_corpus() if r.split != "test")
    scores = score([s.labels for s in room.sentences], flagged_sentences(room.sentences, findings), companions)
    return {
        "cer": round(edits / length, 4) if length else None,
        "micro_f1": round(scores.micro.f1, 4),
        "precision": round(scores.micro.precision, 4),
        "recall": round(scores.micro.recall, 4),
        "clean_flagged": round(scores.clean_flag_rate, 4),
        "clean_total": scores.clean_total,
        "segments": len(segments),
    }
