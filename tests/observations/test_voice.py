"""Voice features built as audio is decoded: the same bytes as from the whole audio, in memory that does not
follow the number of decoded pieces."""

from __future__ import annotations

import base64
import tracemalloc

import numpy as np

from monitor.media.types import SAMPLE_RATE, AudioPCM
from monitor.observations.voice import VoiceFeatures, VoiceFeaturesBuilder

DECODER_PIECE = 341
"""Samples in one 48 kHz AAC frame resampled to 16 kHz: what the decoder hands out, about 47 times a second."""


def _pieces(samples: np.ndarray, size: int = DECODER_PIECE) -> list[AudioPCM]:
    return [AudioPCM(samples[i : i + size], SAMPLE_RATE, start=i / SAMPLE_RATE) for i in range(0, len(samples), size)]


def test_features_built_from_decoder_sized_pieces_are_those_of_the_whole_audio() -> None:
    rng = np.random.default_rng(7)
    samples = (rng.standard_normal(SAMPLE_RATE * 30) * np.linspace(0.01, 0.5, SAMPLE_RATE * 30)).astype(np.float32)
    builder = VoiceFeaturesBuilder()
    for piece in _pieces(samples):
        builder.feed(piece)
    built = builder.result()
    assert built == VoiceFeatures.from_audio(AudioPCM(samples, SAMPLE_RATE))
    step = SAMPLE_RATE // 100
    frames = samples[: len(samples) // step * step].reshape(-1, step)
    expected = np.mean(np.square(frames, dtype=np.float64), axis=1).astype("<f4").tobytes()
    assert base64.b64decode(built.power) == expected  # the stored float32 values, byte for byte


def test_ten_minutes_of_small_pieces_hold_little_more_than_the_values() -> None:
    piece = AudioPCM((np.random.default_rng(1).standard_normal(DECODER_PIECE) * 0.1).astype(np.float32), SAMPLE_RATE)
    builder = VoiceFeaturesBuilder()
    tracemalloc.start()
    try:
        for _ in range(600 * SAMPLE_RATE // DECODER_PIECE):
            builder.feed(piece)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    values = 600 * 100 * 4  # float32 power values of ten minutes
    assert held < 4 * values  # one array per piece held about 4.4 MiB (18x the values) before
    assert len(builder.result().power) > 0
