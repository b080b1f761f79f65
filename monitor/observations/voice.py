"""What the digital-human detector needs of the audio, small enough to store with the record.

The detector compares the host's mouth with the speech level and judges the pitch of the
voice. Both are measured here, once, from the decoded audio: a power envelope (mean square
per 10 ms) and the pitch of voiced frames. The detector then runs from the stored record,
without the media.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np

from monitor.media.types import AudioPCM

__all__ = ["VoiceFeatures", "VoiceFeaturesBuilder", "pitch_track"]

POWER_RATE = 100.0
"""Power frames per second."""
POWER_BLOCK = 1024
"""Decoded pieces of power joined into one float32 block: a decoder hands out ~47 small chunks a second,
and an array object for each would hold ~85 MB over three hours where the values take 4 MB."""
PITCH_SECONDS = 120.0
"""Pitch is measured over the first this many seconds of audio."""


def pitch_track(
    audio: AudioPCM, frame: float = 0.04, hop: float = 0.02, max_seconds: float = PITCH_SECONDS
) -> np.ndarray:
    """Fundamental frequency (Hz) of voiced frames by autocorrelation, 70-400 Hz, over the first ``max_seconds``."""
    sr = audio.sample_rate
    x = audio.samples[: int(max_seconds * sr)].astype(np.float64)
    n, step = int(frame * sr), int(hop * sr)
    lo, hi = int(sr / 400), int(sr / 70)
    if len(x) < n + step:
        return np.zeros(0, dtype=np.float64)
    starts = np.arange(0, len(x) - n, step)
    frames = x[starts[:, None] + np.arange(n)]
    frames -= frames.mean(axis=1, keepdims=True)
    loud = np.sqrt(np.mean(frames**2, axis=1)) >= 0.1 * np.percentile(np.abs(x), 99)
    ac = np.fft.irfft(np.abs(np.fft.rfft(frames[loud], 2 * n, axis=1)) ** 2, axis=1)[:, :n]
    peaks = lo + np.argmax(ac[:, lo:hi], axis=1)
    strength = ac[np.arange(len(ac)), peaks] / np.maximum(ac[:, 0], 1e-12)
    return (sr / peaks[strength > 0.5]).astype(np.float64)


def _pack(values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype="<f4").tobytes()).decode("ascii")


def _unpack(data: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(data), dtype="<f4").astype(np.float64)


@dataclass(frozen=True, slots=True)
class VoiceFeatures:
    """The audio's power envelope and pitch track (float32, base64) from stream time ``start``."""

    start: float
    duration: float
    power: str = ""
    """Mean square of each 10 ms frame, little-endian float32, base64."""
    f0: str = ""
    """Pitch (Hz) of each voiced 40 ms frame in the first 120 s, little-endian float32, base64."""

    @classmethod
    def from_audio(cls, audio: AudioPCM) -> VoiceFeatures:
        builder = VoiceFeaturesBuilder(audio.sample_rate)
        builder.feed(audio)
        return builder.result()

    @classmethod
    def empty(cls) -> VoiceFeatures:
        return cls(0.0, 0.0)

    def pitch(self) -> np.ndarray:
        return _unpack(self.f0)

    def envelope(self, times: np.ndarray, window: float) -> np.ndarray:
        """RMS level in ``window`` seconds centred on each time (0 outside the audio)."""
        power = _unpack(self.power)
        cumulative = np.concatenate([[0.0], np.cumsum(power)])
        lo = np.clip(np.floor((times - window / 2 - self.start) * POWER_RATE).astype(int), 0, len(power))
        hi = np.clip(np.ceil((times + window / 2 - self.start) * POWER_RATE).astype(int), 0, len(power))
        count = np.maximum(hi - lo, 1)
        return np.where(hi > lo, np.sqrt((cumulative[hi] - cumulative[lo]) / count), 0.0)


class VoiceFeaturesBuilder:
    """:class:`VoiceFeatures` of audio fed in order, chunk by chunk, without holding it all.

    Gives exactly what :meth:`VoiceFeatures.from_audio` gives for the joined audio.
    """

    def __init__(self, sample_rate: int = 16_000) -> None:
        self.sample_rate = sample_rate
        self.step = int(sample_rate / POWER_RATE)
        self.start: float | None = None
        self.samples = 0
        self._power: list[np.ndarray] = []
        """Joined float32 blocks of power values (what :func:`_pack` stores)."""
        self._pieces: list[np.ndarray] = []
        self._carry = np.zeros(0, np.float32)
        self._head: list[np.ndarray] = []
        self._head_samples = 0

    def feed(self, pcm: AudioPCM) -> None:
        if self.start is None:
            self.start = pcm.start
        self.samples += len(pcm.samples)
        if self._head_samples < PITCH_SECONDS * self.sample_rate:
            self._head.append(pcm.samples)
            self._head_samples += len(pcm.samples)
        joined = np.concatenate([self._carry, pcm.samples])
        usable = len(joined) // self.step * self.step
        if usable:
            power = np.mean(np.square(joined[:usable].reshape(-1, self.step), dtype=np.float64), axis=1)
            self._pieces.append(power.astype("<f4"))
            if len(self._pieces) >= POWER_BLOCK:
                self._power.append(np.concatenate(self._pieces))
                self._pieces = []
        self._carry = joined[usable:]

    def result(self) -> VoiceFeatures:
        if self.start is None:
            return VoiceFeatures.empty()
        head = AudioPCM(np.concatenate(self._head) if self._head else np.zeros(0, np.float32), self.sample_rate)
        blocks = self._power + self._pieces
        power = np.concatenate(blocks) if blocks else np.zeros(0, "<f4")
        duration = self.samples / self.sample_rate
        return VoiceFeatures(round(self.start, 6), round(duration, 6), _pack(power), _pack(pitch_track(head)))
