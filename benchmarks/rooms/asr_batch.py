"""Two ways to run a batch of utterances from many rooms through one faster-whisper model.

- ``sequential``: the production engine (:class:`FasterWhisperAsr`) on each utterance in turn
  (:class:`monitor.scheduling.workers.AsrBatch`, what ``livemon watch`` runs).
- ``batched``: faster-whisper's ``BatchedInferencePipeline``: the utterances are laid end to
  end with short silences and given as ``clip_timestamps``, so the encoder and the beam
  search see them as one batch.

:func:`compare_asr_modes` times both on the same utterances, to pick the faster one.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from monitor.media.types import AudioPCM
from monitor.observations.asr import INITIAL_PROMPT, FasterWhisperAsr, segments_from_faster_whisper
from monitor.observations.types import TranscriptSegment
from monitor.scheduling.workers import AsrBatch

__all__ = ["AsrMode", "AsrModeComparison", "BatchedAsr", "batch_runner", "compare_asr_modes"]

AsrMode = Literal["sequential", "batched"]
_GAP_S = 0.5


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
            initial_prompt=INITIAL_PROMPT,
            clip_timestamps=stamps,
            batch_size=len(clips),
        )
        out: list[list[TranscriptSegment]] = [[] for _ in clips]
        for seg in segments:
            i = max(0, int(np.searchsorted(starts, seg.start + 1e-3, side="right")) - 1)
            out[i] += segments_from_faster_whisper([seg], offset=clips[i].start - starts[i])
        return out


def batch_runner(asr: FasterWhisperAsr, mode: AsrMode) -> AsrBatch | BatchedAsr:
    return AsrBatch(asr) if mode == "sequential" else BatchedAsr(asr)


@dataclass(frozen=True, slots=True)
class AsrModeComparison:
    """Seconds to transcribe the same utterances each way (best of ``repeats``)."""

    utterances: int
    audio_s: float
    sequential_s: float
    batched_s: float

    @property
    def faster(self) -> AsrMode:
        return "batched" if self.batched_s < self.sequential_s else "sequential"

    @property
    def batched_speedup(self) -> float:
        """Sequential time over batched time: above 1 when batching wins."""
        return self.sequential_s / self.batched_s


def _best_time(run: AsrBatch | BatchedAsr, clips: Sequence[AudioPCM], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run(clips)
        times.append(time.perf_counter() - started)
    return min(times)


def compare_asr_modes(asr: FasterWhisperAsr, clips: Sequence[AudioPCM], repeats: int = 1) -> AsrModeComparison:
    """Time both modes on ``clips`` as one batch, after one warm-up call of each."""
    sequential, batched = AsrBatch(asr), BatchedAsr(asr)
    sequential(clips[:1])
    batched(clips[:1])
    return AsrModeComparison(
        utterances=len(clips),
        audio_s=sum(c.duration for c in clips),
        sequential_s=_best_time(sequential, clips, repeats),
        batched_s=_best_time(batched, clips, repeats),
    )
