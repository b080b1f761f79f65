"""Simulated live rooms: each speaks utterances of 3–8 s back to back, with short pauses.

An utterance is handed to the recogniser when it ends (as a VAD would), so its
latency is measured from that moment. Audio is a noise-like signal sliced from one
shared buffer: random-weight models do the same work whatever they hear.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SAMPLE_RATE", "TrafficOptions", "Utterance", "room_schedule", "speech_buffer", "utterance_audio"]

SAMPLE_RATE = 16_000
_BUFFER_S = 60


@dataclass(frozen=True, slots=True)
class TrafficOptions:
    """How rooms talk."""

    min_utterance_s: float = 3.0
    max_utterance_s: float = 8.0
    min_pause_s: float = 0.3
    max_pause_s: float = 1.2
    seed: int = 0

    @property
    def mean_period_s(self) -> float:
        """Mean time from one utterance's end to the next's."""
        return (self.min_utterance_s + self.max_utterance_s + self.min_pause_s + self.max_pause_s) / 2


@dataclass(frozen=True, slots=True)
class Utterance:
    room: int
    end_s: float
    """When the utterance ends, from the start of the run."""
    duration_s: float
    offset: int
    """Where its samples start in the shared buffer."""


def room_schedule(rooms: int, seconds: float, options: TrafficOptions = TrafficOptions()) -> list[Utterance]:
    """Every utterance that ends within ``seconds``, over ``rooms`` rooms, by end time."""
    rng = np.random.default_rng(options.seed)
    out = []
    for room in range(rooms):
        t = rng.uniform(0, options.mean_period_s)  # rooms start out of phase
        while True:
            duration = rng.uniform(options.min_utterance_s, options.max_utterance_s)
            if t + duration > seconds:
                break
            offset = int(rng.integers(0, int((_BUFFER_S - options.max_utterance_s) * SAMPLE_RATE)))
            out.append(Utterance(room, t + duration, duration, offset))
            t += duration + rng.uniform(options.min_pause_s, options.max_pause_s)
    return sorted(out, key=lambda u: u.end_s)


def speech_buffer(seed: int = 0) -> np.ndarray:
    """A minute of amplitude-modulated noise, float32 in [-1, 1]."""
    rng = np.random.default_rng(seed)
    t = np.arange(_BUFFER_S * SAMPLE_RATE) / SAMPLE_RATE
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3.0 * t) ** 2  # syllable-rate loudness
    return np.clip(0.1 * envelope * rng.standard_normal(t.size), -1, 1).astype(np.float32)


def utterance_audio(buffer: np.ndarray, utterance: Utterance) -> np.ndarray:
    """The utterance's samples (a view into ``buffer``)."""
    return buffer[utterance.offset : utterance.offset + int(utterance.duration_s * SAMPLE_RATE)]
