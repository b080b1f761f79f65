"""The room conditions: SNRs as asked, codecs that round-trip, the same samples on every run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from benchmarks.acoustics.conditions import CONDITIONS, PAD_S, Condition, Voices, render
from benchmarks.acoustics.music import backing_track
from benchmarks.acoustics.read import STRIDE_S, read_clips
from benchmarks.acoustics.signals import (
    RATE,
    active_rms,
    codec_roundtrip,
    mix_at_snr,
    phone_band,
    reverberate,
    room_impulse,
    snr_db,
)
from benchmarks.acoustics.voices import COHOST_VOICE, VOCALS_VOICE, chatter
from monitor.media.types import AudioPCM
from monitor.observations.types import TranscriptSegment


def _speechlike(seconds: float, seed: int, level: float = 0.1) -> np.ndarray:
    """Syllable-rate bursts of a voiced tone with pauses: a stand-in for a voiced sentence."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    pitch = 120 + 20 * np.sin(2 * np.pi * 0.7 * t)
    voiced = sum(np.sin(2 * np.pi * k * np.cumsum(pitch) / RATE) / k for k in range(1, 12))
    syllables = np.clip(np.sin(2 * np.pi * 4 * t + rng.uniform(0, 6)), 0, None) ** 2
    x = voiced * syllables * (t % 1.7 < 1.4)  # a pause every 1.7 s
    return (x / np.abs(x).max() * level * 3).astype(np.float32)


def _voices() -> Voices:
    pool = [_speechlike(1.5 + 0.3 * i, 100 + i) for i in range(5)]
    return Voices({COHOST_VOICE: pool, VOCALS_VOICE: pool[:3]})


@pytest.mark.parametrize("snr", [20.0, 15.0, 10.0, 5.0, 0.0])
def test_mix_at_snr_reaches_the_asked_snr(snr: float) -> None:
    speech = _speechlike(3.0, 1)
    music = backing_track(3.0, 7)
    mix, scaled = mix_at_snr(speech, music, snr)
    assert abs(snr_db(speech, mix - speech) - snr) < 0.5
    assert abs(snr_db(speech, scaled) - snr) < 0.5


@pytest.mark.parametrize(("name", "music", "cohost"), [("music_10", 10.0, None), ("cohost_5", None, 5.0),
                                                       ("vocals_20", 20.0, None), ("room", 10.0, 15.0)])
def test_rendered_interferers_sit_at_their_snr(name: str, music: float | None, cohost: float | None) -> None:
    """The host's sentence is left as it was; what is added under it is as loud as the condition says."""
    condition = next(c for c in CONDITIONS if c.name == name)
    speech = _speechlike(3.0, 2)
    voices = _voices()
    mixed = render(condition, speech, "k1", voices)
    pad = int(PAD_S * RATE)
    host = np.pad(speech, (pad, pad))
    assert mixed.shape == host.shape
    added = mixed - host
    if music is not None and cohost is None:
        assert abs(snr_db(speech, added) - music) < 0.5
    if cohost is not None and music is None:
        assert abs(snr_db(speech, added) - cohost) < 0.5
    if music is not None and cohost is not None:  # the parts, rendered alone, each at its own SNR
        only_music = render(Condition("m", "m", music_snr=music), speech, "k1", voices) - host
        only_cohost = render(Condition("c", "c", cohost_snr=cohost), speech, "k1", voices) - host
        assert abs(snr_db(speech, only_music) - music) < 0.5
        assert abs(snr_db(speech, only_cohost) - cohost) < 0.5
        np.testing.assert_allclose(added, only_music + only_cohost, atol=1e-5)


def test_rendering_is_the_same_on_every_run_and_differs_between_sentences() -> None:
    speech = _speechlike(2.5, 3)
    room = next(c for c in CONDITIONS if c.name == "room")
    first = render(room, speech, "key-a", _voices())
    assert np.array_equal(first, render(room, speech, "key-a", _voices()))
    assert not np.allclose(first, render(room, speech, "key-b", _voices()))


def test_the_snr_sweep_puts_the_same_music_under_a_sentence() -> None:
    speech = _speechlike(2.0, 4)
    pad = int(PAD_S * RATE)
    host = np.pad(speech, (pad, pad))
    by_snr = {c.music_snr: render(c, speech, "k", _voices()) - host for c in CONDITIONS
              if c.name.startswith("music_")}
    np.testing.assert_allclose(by_snr[20], by_snr[10] * 10 ** (-10 / 20), atol=1e-5)
    np.testing.assert_allclose(by_snr[5], by_snr[10] * 10 ** (5 / 20), atol=1e-5)


@pytest.mark.parametrize(("codec", "bitrate"), [("aac", 16_000), ("aac", 32_000), ("libmp3lame", 16_000)])
def test_codecs_round_trip_aligned_and_lossy(codec: str, bitrate: int) -> None:
    x = _speechlike(2.0, 5, level=0.2)
    y = codec_roundtrip(x, codec, bitrate)
    assert y.shape == x.shape and y.dtype == np.float32
    correlation = float(np.corrcoef(x, y)[0, 1])
    assert correlation > 0.8, f"{codec} at {bitrate} b/s came back unlike its input or misaligned ({correlation:.2f})"
    assert not np.allclose(x, y, atol=1e-3), "a low-bit-rate codec cannot be lossless"


def test_phone_band_keeps_the_voice_band_and_cuts_the_rest() -> None:
    t = np.arange(RATE) / RATE
    tone = lambda f: (0.3 * np.sin(2 * np.pi * f * t)).astype(np.float32)  # noqa: E731
    for inside in (500.0, 1000.0, 3000.0):
        assert active_rms(phone_band(tone(inside))) > 0.7 * active_rms(tone(inside))
    for outside in (80.0, 5000.0, 7000.0):
        assert active_rms(phone_band(tone(outside))) < 0.05 * active_rms(tone(outside))


def test_reverb_keeps_the_level_and_adds_a_decaying_tail() -> None:
    rng = np.random.default_rng(0)
    impulse = room_impulse(rng, rt60=0.6)
    assert impulse[0] == 1.0 and impulse.size == int(0.6 * RATE)
    early, late = (float(np.sum(impulse[a:b] ** 2)) for a, b in ((100, 2000), (int(0.3 * RATE), int(0.4 * RATE))))
    assert late < early / 100  # 60 dB over 0.6 s: ~30 dB down by 0.3 s
    x = _speechlike(2.0, 6)
    wet = reverberate(x, impulse)
    assert wet.shape == x.shape
    assert abs(active_rms(wet) - active_rms(x)) < 1e-3


def test_chatter_fills_the_length_from_the_pool() -> None:
    pool = [np.ones(800, np.float32), np.full(1200, 2.0, np.float32)]
    track = chatter(pool, 20_000, np.random.default_rng(3))
    assert track.size == 20_000
    assert set(np.unique(track)) <= {0.0, 1.0, 2.0} and (track == 1.0).any() and (track == 2.0).any()
    assert np.array_equal(track, chatter(pool, 20_000, np.random.default_rng(3)))


def test_music_is_deterministic_bounded_and_seed_dependent() -> None:
    a = backing_track(2.0, 11)
    assert a.shape == (2 * RATE,) and float(np.abs(a).max()) == pytest.approx(0.5)
    assert np.array_equal(a, backing_track(2.0, 11))
    assert not np.allclose(a, backing_track(2.0, 12))


class _FakeChunkAsr:
    """Two chunks per clip (its halves), each transcribed as the clip's number; records each batch."""

    batch_size = 3

    def __init__(self) -> None:
        self.batches: list[list[float]] = []

    def speech_chunks(self, audio: AudioPCM) -> list[tuple[float, float, int]]:
        clip = round(float(audio.samples[0]))
        half = audio.duration / 2
        return [(audio.start, audio.start + half, clip), (audio.start + half, audio.start + 2 * half, clip)]

    def decode_chunks(
        self, chunks: Sequence[tuple[float, float, int]]
    ) -> tuple[list[TranscriptSegment], list[tuple[float, float, int]]]:
        self.batches.append([c[0] for c in chunks])
        return [TranscriptSegment(a, b, f"{n}", raw_text=f"{n}") for a, b, n in chunks], []

    def chunk_end(self, chunk: tuple[float, float, int]) -> float:
        return chunk[1]


def test_read_clips_gives_each_sentence_its_own_segments_from_shared_batches() -> None:
    engine = _FakeChunkAsr()
    clips = [np.full(RATE, float(n), np.float32) for n in range(4)]
    reads = read_clips(engine, clips)  # type: ignore[arg-type]
    assert [raw for raw, _ in reads] == ["00", "11", "22", "33"]
    assert any(len({int(start // STRIDE_S) for start in batch}) > 1 for batch in engine.batches), \
        "chunks of different sentences should share a batch, as pieces of a scan do"


@pytest.mark.parametrize("samples", [45_793, 16_001, 31_999])
def test_every_condition_keeps_the_padded_length(samples: int) -> None:
    """Music is made for the exact length, whatever the float rounding of samples / rate."""
    speech = _speechlike(samples / RATE, 8)[:samples]
    speech = np.pad(speech, (0, samples - speech.size))
    for condition in (c for c in CONDITIONS if c.name in ("music_10", "vocals_5", "room")):
        assert render(condition, speech, "odd", _voices()).size == samples + 2 * int(PAD_S * RATE)
