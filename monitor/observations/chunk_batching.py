"""Engines that read a recording as speech chunks decoded in batches, and the queue that feeds them.

An engine with this protocol cuts audio into speech chunks (:meth:`ChunkBatchAsr.speech_chunks`)
and decodes a batch of them at a time (:meth:`ChunkBatchAsr.decode_chunks`), possibly handing
back parts it did not read (an unread tail). :class:`ChunkQueue` collects chunks from as many
pieces of audio as it is given, decodes them in full batches as they gather (the parts handed
back go first in the next batch), and keeps the segments: a scan cut into bounded pieces still
decodes full batches across the cuts.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, Protocol, TypeVar, runtime_checkable

from monitor.media.types import AudioPCM
from monitor.observations.types import TranscriptSegment

__all__ = ["ChunkBatchAsr", "ChunkQueue", "read_in_batches"]

C = TypeVar("C")


@runtime_checkable
class ChunkBatchAsr(Protocol[C]):
    """An ASR engine that decodes speech chunks in batches of ``batch_size``."""

    @property
    def batch_size(self) -> int:
        """Chunks per decoder call."""
        ...

    def speech_chunks(self, audio: AudioPCM) -> list[C]:
        """The speech of ``audio``, cut for the decoder, in stream order."""
        ...

    def decode_chunks(self, chunks: Sequence[C]) -> tuple[list[TranscriptSegment], list[C]]:
        """Segments (stream time) of at most ``batch_size`` chunks, and the parts left to read."""
        ...

    def chunk_end(self, chunk: C) -> float:
        """Stream time at which ``chunk`` ends (for progress)."""
        ...


class ChunkQueue(Generic[C]):
    """Chunks waiting for a batch; :meth:`add` decodes every full batch, :meth:`finish` the rest."""

    def __init__(self, asr: ChunkBatchAsr[C], on_progress: Callable[[float], None] | None = None) -> None:
        self.asr, self.on_progress = asr, on_progress
        self._waiting: deque[C] = deque()
        self.segments: list[TranscriptSegment] = []
        self._reached = 0.0

    def add(self, audio: AudioPCM) -> None:
        """Cut ``audio`` into chunks and decode as many full batches as are waiting."""
        self._waiting.extend(self.asr.speech_chunks(audio))
        while len(self._waiting) >= self.asr.batch_size:
            self._decode()

    def finish(self) -> list[TranscriptSegment]:
        """Decode everything still waiting; the whole transcript in time order."""
        while self._waiting:
            self._decode()
        self.segments.sort(key=lambda s: (s.start, s.end))
        return self.segments

    def _decode(self) -> None:
        batch = [self._waiting.popleft() for _ in range(min(self.asr.batch_size, len(self._waiting)))]
        segments, unread = self.asr.decode_chunks(batch)
        self.segments += segments
        self._waiting.extendleft(reversed(unread))
        if self.on_progress is not None:
            self._reached = max(self._reached, *(self.asr.chunk_end(c) for c in batch))
            self.on_progress(self._reached)


def read_in_batches(
    asr: ChunkBatchAsr[C], audio: AudioPCM, on_progress: Callable[[float], None] | None = None
) -> list[TranscriptSegment]:
    """The transcript of one piece of audio, its chunks decoded in batches."""
    queue: ChunkQueue[C] = ChunkQueue(asr, on_progress)
    queue.add(audio)
    return queue.finish()
