"""Speech chunks wait for full batches, across a scan's bounded pieces; unread tails go first in the next batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pytest

from monitor.media.types import SAMPLE_RATE, AudioPCM
from monitor.observations.chunk_batching import ChunkBatchAsr, ChunkQueue
from monitor.observations.chunked_asr import ChunkedTranscriber
from monitor.observations.types import TranscriptSegment


@dataclass(frozen=True)
class _Chunk:
    start: float
    end: float
    tail: bool = False


class _Batcher:
    """A fake engine: one chunk per 5 s of audio; a chunk that starts on a whole ten seconds is read only
    to its middle the first time, and its second half handed back."""

    name = "fake-batched"

    def __init__(self, batch_size: int) -> None:
        self._batch_size = batch_size
        self.batches: list[list[_Chunk]] = []

    @property
    def batch_size(self) -> int:
        return self._batch_size

    def transcribe(self, audio: AudioPCM, on_progress: object = None) -> list[TranscriptSegment]:
        raise AssertionError("a batching engine is read chunk by chunk")

    def speech_chunks(self, audio: AudioPCM) -> list[_Chunk]:
        end = audio.start + audio.duration
        return [_Chunk(float(a), float(min(a + 5.0, end))) for a in np.arange(audio.start, end - 1e-9, 5.0)]

    def chunk_end(self, chunk: _Chunk) -> float:
        return chunk.end

    def decode_chunks(self, chunks: Sequence[_Chunk]) -> tuple[list[TranscriptSegment], list[_Chunk]]:
        self.batches.append(list(chunks))
        segments, unread = [], []
        for c in chunks:
            if c.start % 10 == 0 and not c.tail:
                middle = (c.start + c.end) / 2
                segments.append(TranscriptSegment(c.start, middle, f"{c.start:g}"))
                unread.append(_Chunk(middle, c.end, tail=True))
            else:
                segments.append(TranscriptSegment(c.start, c.end, f"{c.start:g}"))
        return segments, unread


def test_the_fake_has_the_protocol() -> None:
    assert isinstance(_Batcher(4), ChunkBatchAsr)


def test_full_batches_are_decoded_as_chunks_gather_and_tails_go_first_in_the_next() -> None:
    engine, progress = _Batcher(4), []
    queue = ChunkQueue(engine, on_progress=progress.append)
    queue.add(AudioPCM(np.zeros(15 * SAMPLE_RATE, np.float32)))  # 3 chunks: not a batch yet
    assert engine.batches == []
    queue.add(AudioPCM(np.zeros(10 * SAMPLE_RATE, np.float32), start=15.0))  # 5 chunks: one batch
    assert [[c.start for c in b] for b in engine.batches] == [[0.0, 5.0, 10.0, 15.0]]
    segments = queue.finish()
    # the tails of 0 and 10 come first, then the chunk that was waiting (20 s), and its own tail
    assert [[(c.start, c.tail) for c in b] for b in engine.batches[1:]] == [
        [(2.5, True), (12.5, True), (20.0, False)], [(22.5, True)]]
    assert [s.start for s in segments] == sorted(s.start for s in segments)
    assert [(s.start, s.end) for s in segments][:3] == [(0.0, 2.5), (2.5, 5.0), (5.0, 10.0)]
    assert progress == sorted(progress) and progress[-1] == 25.0


def test_a_scan_cut_in_pieces_still_decodes_full_batches_across_the_cuts() -> None:
    engine, progress = _Batcher(8), []
    chunked = ChunkedTranscriber(engine, chunk_seconds=30.0, search_seconds=8.0, on_progress=progress.append)
    samples = np.zeros(100 * SAMPLE_RATE, np.float32)
    for i in range(0, samples.size, 4_000):
        chunked.feed(AudioPCM(samples[i : i + 4_000], start=50.0 + i / SAMPLE_RATE))
    while_fed = list(engine.batches)
    segments = chunked.finish()
    assert while_fed and all(len(b) == 8 for b in while_fed)  # full batches, although a piece is ≤ 30 s (6 chunks)
    assert segments[0].start == 50.0 and segments[-1].end == pytest.approx(150.0)
    covered = sum(s.end - s.start for s in segments)
    assert covered == pytest.approx(100.0)  # every second read once, tails included
    assert progress[-1] == pytest.approx(100.0)  # progress is in seconds from the stream's start
