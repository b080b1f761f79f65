"""Three ways to run a batch of utterances from many rooms through one faster-whisper model.

- ``plain``: ``FasterWhisperAsr.transcribe`` on each utterance in turn: faster-whisper as it
  comes, every utterance padded to Whisper's 30 s window (the baseline).
- ``window``: ``FasterWhisperAsr.transcribe_batch``, what ``livemon watch`` runs
  (:class:`monitor.scheduling.workers.AsrBatch`): the batch padded to a 15 s window, encoded
  and decoded together under a token budget (:mod:`monitor.observations.utterance_decode`).
- ``pipeline``: faster-whisper's ``BatchedInferencePipeline``: the utterances are laid end to
  end with short silences and given as ``clip_timestamps``, so the encoder and the beam
  search see them as one batch.

:func:`compare_asr_modes` times all three on the same utterances, to pick the fastest.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from monitor.media.types import AudioPCM
from monitor.observations.asr import FasterWhisperAsr, segments_from_faster_whisper
from monitor.observations.types import TranscriptSegment
from monitor.scheduling.workers import AsrBatch

__all__ = ["ASR_MODES", "AsrMode", "AsrModeComparison", "BatchedAsr", "PlainAsr", "batch_runner", "compare_asr_modes"]

AsrMode = Literal["plain", "window", "pipeline"]
ASR_MODES: tuple[AsrMode, ...] = ("plain", "window", "pipeline")
_GAP_S = 0.5


class PlainAsr:
    """Each utterance through faster-whisper's own ``transcribe`` (30 s window), one after another."""

    def __init__(self, asr: FasterWhisperAsr) -> None:
        self.asr = asr

    def __call__(self, clips: Sequence[AudioPCM]) -> list[list[TranscriptSegment]]:
        return [self.asr.transcribe(c) for c in clips]


class BatchedAsr:
    """The batch in one ``BatchedInferencePipeline`` call, with the engine's model and settings."""

    def __init__(self, asr: FasterWhisperAsr) -> None:
        from faster_whisper import BatchedInferencePipeline

        self.asr = asr
        self.pipeline = BatchedInferencePipeline(asr.model)

    def __call__(self, clips: Sequence[AudioPCM]) -> list[list[TranscriptSegment]]:
        if not clips:
            return []
        rate = clips[0].sample_rate
        gap = np.zeros(int(_GAP_S * rate), np.float32)
        starts, parts, pos = [], [], 0
        for c in clips:
            starts.append(pos / rate)
            parts += [c.samples, gap]
            pos += c.samples.size + gap.size
        stamps = [{"start": s, "end": s + c.duration} for s, c in zip(starts, clips, strict=True)]
        opts = self.asr.options
        segments, _ = self.pipeline.transcribe(
            np.concatenate(parts),
            language=opts.language,
            beam_size=opts.beam_size,
            initial_prompt=self.asr.prompt.text or None,
            hotwords=self.asr.prompt.hotwords_text,
            clip_timestamps=stamps,
            batch_size=len(clips),
        )
        out: list[list[TranscriptSegment]] = [[] for _ in clips]
        for seg in segments:
            i = max(0, int(np.searchsorted(starts, seg.start + 1e-3, side="right")) - 1)
            out[i] += segments_from_faster_whisper([seg], offset=clips[i].start - starts[i])
        return out


Runner = PlainAsr | AsrBatch | BatchedAsr


def batch_runner(asr: FasterWhisperAsr, mode: AsrMode) -> Runner:
    if mode == "plain":
        return PlainAsr(asr)
    return AsrBatch(asr) if mode == "window" else BatchedAsr(asr)


@dataclass(frozen=True, slots=True)
class AsrModeComparison:
    """Seconds to transcribe the same utterances each way (best of ``repeats``)."""

    utterances: int
    audio_s: float
    seconds: dict[str, float]
    """Per mode."""

    @property
    def fastest(self) -> AsrMode:
        return min(ASR_MODES, key=lambda mode: self.seconds[mode])

    def speedup(self, mode: AsrMode) -> float:
        """``plain`` time over ``mode``'s: above 1 when the mode beats faster-whisper as it comes."""
        return self.seconds["plain"] / self.seconds[mode]


def _best_time(run: Runner, clips: Sequence[AudioPCM], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run(clips)
        times.append(time.perf_counter() - started)
    return min(times)


def compare_asr_modes(asr: FasterWhisperAsr, clips: Sequence[AudioPCM], repeats: int = 1) -> AsrModeComparison:
    """Time every mode on ``clips`` as one batch, after one warm-up call of each."""
    runners = {mode: batch_runner(asr, mode) for mode in ASR_MODES}
    for run in runners.values():
        run(clips[:1])
    return AsrModeComparison(
        utterances=len(clips),
        audio_s=sum(c.duration for c in clips),
        seconds={mode: _best_time(run, clips, repeats) for mode, run in runners.items()},
    )
