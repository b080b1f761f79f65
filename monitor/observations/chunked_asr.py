"""A long recording transcribed as it is decoded, in chunks cut at quiet moments: memory stays bounded.

faster-whisper computes features for all the audio it is given at once (about 1 GB per ten
minutes of speech), so a scan's peak memory follows the chunk length, never the stream's.
Here the decoded audio is held until about ``chunk_seconds`` have gathered, cut at the
quietest 100 ms in its last ``search_seconds`` (a pause, so no word is split), and that part
transcribed; the rest waits for more audio. A recording shorter than one chunk is
transcribed exactly as a whole.

An engine that decodes speech chunks in batches (:class:`~monitor.observations.chunk_batching.ChunkBatchAsr`
with a ``batch_size``) gets each part cut into speech chunks that wait in one queue until a
batch is full, so batches stay full across the cuts; what waits is at most one batch of
audio, never its features.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from monitor.media.native_memory import release_freed
from monitor.media.types import SAMPLE_RATE, AudioPCM
from monitor.observations.asr import AsrEngine
from monitor.observations.chunk_batching import ChunkBatchAsr, ChunkQueue
from monitor.observations.types import TranscriptSegment

__all__ = ["ChunkedTranscriber"]

CHUNK_SECONDS = 120.0
SEARCH_SECONDS = 20.0
FRAME_SECONDS = 0.1


class ChunkedTranscriber:
    """Feed decoded audio in order with :meth:`feed`; :meth:`finish` returns the whole transcript."""

    def __init__(
        self,
        asr: AsrEngine,
        *,
        chunk_seconds: float = CHUNK_SECONDS,
        search_seconds: float = SEARCH_SECONDS,
        on_progress: Callable[[float], None] | None = None,
    ) -> None:
        if search_seconds >= chunk_seconds:
            raise ValueError("search_seconds must be shorter than chunk_seconds")
        self.asr, self.on_progress = asr, on_progress
        self.chunk, self.search = int(chunk_seconds * SAMPLE_RATE), int(search_seconds * SAMPLE_RATE)
        self._pending: list[np.ndarray] = []
        self._pending_samples = 0
        self._origin = self._start = 0.0
        self._started = False
        self.segments: list[TranscriptSegment] = []
        self._queue = (
            ChunkQueue(asr, on_progress=self._progress) if isinstance(asr, ChunkBatchAsr) and asr.batch_size else None
        )

    def feed(self, pcm: AudioPCM) -> None:
        if not len(pcm.samples):
            return
        if not self._started:
            self._origin = self._start = pcm.start
            self._started = True
        self._pending.append(pcm.samples)
        self._pending_samples += len(pcm.samples)
        if self._pending_samples >= self.chunk:
            buffered = np.concatenate(self._pending)
            cut = _quietest(buffered[self.chunk - self.search : self.chunk]) + self.chunk - self.search
            self._transcribe(buffered[:cut])
            rest = buffered[cut:]
            self._pending, self._pending_samples = [rest], len(rest)

    def finish(self) -> list[TranscriptSegment]:
        if self._pending_samples:
            self._transcribe(np.concatenate(self._pending))
            self._pending, self._pending_samples = [], 0
        if self._queue is not None:
            self.segments = self._queue.finish()
            release_freed()
        return self.segments

    def _progress(self, stream_time: float) -> None:
        if self.on_progress is not None:
            self.on_progress(stream_time - self._origin)

    def _transcribe(self, samples: np.ndarray) -> None:
        start, done = self._start, self._start - self._origin
        if self._queue is not None:
            self._queue.add(AudioPCM(samples, SAMPLE_RATE, start=start))
            self._start = start + len(samples) / SAMPLE_RATE
            return
        progress = self.on_progress
        self.segments += self.asr.transcribe(
            AudioPCM(samples, SAMPLE_RATE, start=start),
            on_progress=(lambda t: progress(done + t)) if progress is not None else None,
        )
        self._start = start + len(samples) / SAMPLE_RATE
        release_freed()  # the chunk's features: hundreds of MB the allocator would otherwise keep


def _quietest(samples: np.ndarray) -> int:
    """Sample index of the middle of the quietest 100 ms frame."""
    step = int(FRAME_SECONDS * SAMPLE_RATE)
    frames = samples[: len(samples) // step * step].reshape(-1, step).astype(np.float64)
    return int(np.argmin(np.mean(frames**2, axis=1))) * step + step // 2
