"""Cut a live audio stream into utterances as they end, with Silero VAD (as faster-whisper ships it).

A recording is transcribed whole; a live room cannot wait for its end. The cutter keeps
the audio since the last utterance it handed out, runs the VAD over it each time another
``check_every_s`` has arrived, and hands out every utterance followed by at least
``min_silence_s`` of silence. Speech that runs on past ``max_utterance_s`` is cut there,
as a live VAD flushes it. Silence is dropped as it arrives, so memory stays bounded.
An utterance still being spoken when the stream ended or skipped is handed out ``cut_off``: its
last words are missing, and what was heard of it is only a fragment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitor.media.types import AudioPCM

__all__ = ["GAP_S", "Utterance", "UtteranceCutter", "UtteranceOptions"]

GAP_S = 0.1
"""Seconds of audio missing between two chunks that end the utterance in progress."""


@dataclass(frozen=True, slots=True)
class Utterance(AudioPCM):
    """One utterance's audio; ``cut_off`` when the stream ended or skipped while it was still being spoken."""

    cut_off: bool = False


@dataclass(frozen=True, slots=True)
class UtteranceOptions:
    """When an utterance counts as ended."""

    min_silence_s: float = 0.5
    max_utterance_s: float = 14.5
    """Longer speech is cut here, so a clip with its padding fits the ASR's 15 s utterance window."""
    check_every_s: float = 0.5
    """Run the VAD each time this much new audio has arrived."""
    speech_pad_s: float = 0.2


class UtteranceCutter:
    """Feed 16 kHz mono chunks in time order; get back the utterances that ended."""

    def __init__(self, options: UtteranceOptions = UtteranceOptions(), sample_rate: int = 16_000) -> None:
        from faster_whisper.vad import VadOptions

        self.options = options
        self.rate = sample_rate
        self._vad = VadOptions(
            min_silence_duration_ms=round(options.min_silence_s * 1000),
            max_speech_duration_s=options.max_utterance_s,
            speech_pad_ms=round(options.speech_pad_s * 1000),
        )
        self._buffer = np.zeros(0, np.float32)
        self._start = 0.0
        """Stream time of the buffer's first sample."""
        self._unchecked = 0

    @property
    def buffered_seconds(self) -> float:
        """Audio held back: the utterance in progress, or the last stretch of silence."""
        return self._buffer.size / self.rate

    def feed(self, chunk: AudioPCM) -> list[Utterance]:
        """Add ``chunk`` (later than the previous one); return utterances that have ended.

        A chunk that starts more than :data:`GAP_S` after the audio held ends what is held: audio is
        never joined across a gap, so every utterance keeps its own time."""
        if chunk.sample_rate != self.rate:
            raise ValueError(f"the cutter takes {self.rate} Hz audio, got {chunk.sample_rate} Hz")
        # audio missing before the chunk (a live stream skipped some): what was held has ended there
        ended = self.flush() if chunk.start - self._end > GAP_S and self._buffer.size else []
        if not self._buffer.size:
            self._start = chunk.start
        self._buffer = np.concatenate([self._buffer, chunk.samples.astype(np.float32, copy=False)])
        self._unchecked += chunk.samples.size
        if self._unchecked < self.options.check_every_s * self.rate:
            return ended
        self._unchecked = 0
        return ended + self._cut(final=False)

    @property
    def _end(self) -> float:
        return self._start + self._buffer.size / self.rate

    def flush(self) -> list[Utterance]:
        """The stream ended: hand out whatever speech is left (the last utterance ``cut_off`` when it was
        still being spoken)."""
        out = self._cut(final=True) if self._buffer.size else []
        self._buffer = np.zeros(0, np.float32)
        return out

    def _cut(self, *, final: bool) -> list[Utterance]:
        from faster_whisper.vad import get_speech_timestamps

        spans = get_speech_timestamps(self._buffer, self._vad, sampling_rate=self.rate)
        settled = self._buffer.size - round(self.options.min_silence_s * self.rate)
        longest = round(self.options.max_utterance_s * self.rate)
        out, consumed = [], 0
        for i, span in enumerate(spans):
            ended = final or span["end"] <= settled or i < len(spans) - 1
            if not ended and span["end"] - span["start"] < longest:
                consumed = span["start"]
                break
            out.append(self._clip(span["start"], span["end"], cut_off=final and span["end"] > settled))
            consumed = span["end"]
        else:
            consumed = max(consumed, settled) if not final else self._buffer.size
        self._drop(consumed)
        return out

    def _clip(self, start: int, end: int, *, cut_off: bool) -> Utterance:
        return Utterance(self._buffer[start:end].copy(), self.rate, start=self._start + start / self.rate,
                         cut_off=cut_off)

    def _drop(self, samples: int) -> None:
        samples = max(0, min(samples, self._buffer.size))
        self._buffer = self._buffer[samples:]
        self._start += samples / self.rate
