"""A recorded stream decoded once, and what one simulated room receives from it.

Decoding happens here, once, before any room plays: the rooms benchmark measures
recognition, OCR and claim checks, not decoding. :attr:`Recording.decode_seconds`
says what the decode cost so a reader can add it per room.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from monitor.media.decode import DecodeOptions, DecodeReport, iter_media, join_audio
from monitor.media.types import AudioPCM, SampledFrame
from monitor.sources.open import open_source

__all__ = ["Arrival", "Recording", "room_arrivals"]

MAX_UTTERANCE_S = 15.0
"""A VAD utterance longer than this is split, as a live VAD would flush it."""


@dataclass(frozen=True, slots=True)
class Recording:
    """Decoded audio, 1 fps sampled frames and VAD utterances of one file."""

    path: Path
    audio: AudioPCM
    frames: tuple[SampledFrame, ...]
    utterances: tuple[tuple[float, float], ...]
    """(start, end) in stream seconds, from Silero VAD."""
    decode_seconds: float

    @property
    def duration(self) -> float:
        return self.audio.start + self.audio.duration

    @classmethod
    def decode(cls, path: Path, frame_interval: float = 1.0) -> Recording:
        """Decode ``path`` (PyAV, as the scan does) and cut its audio into utterances."""
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        started = time.perf_counter()
        chunks: list[AudioPCM] = []
        frames: list[SampledFrame] = []
        with open_source(str(path)) as container:
            for item in iter_media(container, DecodeOptions(frame_interval=frame_interval), DecodeReport()):
                if isinstance(item, AudioPCM):
                    chunks.append(item)
                elif item.reason == "interval":
                    frames.append(item)
        audio = join_audio(chunks)
        decode_seconds = time.perf_counter() - started
        vad = VadOptions(min_silence_duration_ms=500, max_speech_duration_s=MAX_UTTERANCE_S)
        rate = audio.sample_rate
        spans = tuple(
            (audio.start + s["start"] / rate, audio.start + s["end"] / rate)
            for s in get_speech_timestamps(audio.samples, vad, sampling_rate=rate)
        )
        return cls(path, audio, tuple(frames), spans, decode_seconds)

    def clip(self, start: float, end: float) -> np.ndarray:
        return self.audio.slice(start, end)


@dataclass(frozen=True, slots=True)
class Arrival:
    """One item a room hands over: an utterance at its end, or a frame at its time."""

    room: int
    due: float
    """Seconds from the start of the run when the item exists (utterance end, frame time)."""
    kind: Literal["speech", "screen"]
    audio: AudioPCM | None = None
    frame: SampledFrame | None = None


def room_arrivals(recording: Recording, room: int, offset: float, seconds: float) -> list[Arrival]:
    """What ``room`` hands over while it plays ``recording`` from ``offset`` for ``seconds``, looping.

    Stream time restarts at 0 for each room, so frames and utterances carry run time.
    Utterances cut by the start or the end of the window are left out.
    """
    duration = recording.duration
    loops = int(np.ceil((offset + seconds) / duration)) + 1
    out: list[Arrival] = []
    for k in range(loops):
        shift = k * duration - offset
        for start, end in recording.utterances:
            if 0 <= start + shift and end + shift <= seconds:
                pcm = AudioPCM(recording.clip(start, end), recording.audio.sample_rate, start=start + shift)
                out.append(Arrival(room, end + shift, "speech", audio=pcm))
        for f in recording.frames:
            t = f.time + shift
            if 0 <= t < seconds:
                frame = SampledFrame(t, f.index, f.image, f.reason)
                out.append(Arrival(room, t, "screen", frame=frame))
    return sorted(out, key=lambda a: a.due)
