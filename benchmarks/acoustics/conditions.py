"""The room conditions: what is mixed under a host's sentence, and how the result is degraded.

A :class:`Condition` names its parts; :func:`render` builds one sentence under it. Every
sentence is padded with :data:`PAD_S` of room sound before and after (silence in ``clean``), as
a sentence in a stream has sound around it. The interfering sounds of a sentence are drawn from
seeds made of its key alone, so ``music_20``, ``music_10`` and ``music_5`` put the *same* music
under a sentence at three levels, and every run renders the same samples.

Order: the host (and co-host) through the room (``rt60``), music and co-host scaled to their
SNRs against the host's active level and added, the peak kept under full scale, then the phone
band, then the codec.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from benchmarks.acoustics.music import backing_track
from benchmarks.acoustics.signals import (
    RATE,
    active_rms,
    codec_roundtrip,
    fit_peak,
    phone_band,
    reverberate,
    room_impulse,
)
from benchmarks.acoustics.voices import COHOST_LINES, COHOST_VOICE, VOCALS_LINES, VOCALS_VOICE, chatter, voice_pool

__all__ = ["CONDITIONS", "PAD_S", "ROOMS_VERSION", "TARGET", "Condition", "Voices", "render", "seed_of"]

ROOMS_VERSION = "rooms1"
"""Names the rendering; change it when anything here, in music.py, signals.py or the voice pool changes."""
PAD_S = 0.6
"""Seconds of room sound before and after each sentence."""
VOCALS_DB = -4.0
"""Vocals' active level against the backing track's."""


@dataclass(frozen=True, slots=True)
class Condition:
    """One room: each part off when None / False."""

    name: str
    label: str
    """Chinese first, for the table."""
    music_snr: float | None = None
    vocals: bool = False
    """The music carries a second TTS voice (pool lines) :data:`VOCALS_DB` under the backing track."""
    cohost_snr: float | None = None
    rt60: float | None = None
    phone: bool = False
    codec: tuple[str, int] | None = None
    """FFmpeg encoder and bit rate (b/s)."""


CONDITIONS: tuple[Condition, ...] = (
    Condition("clean", "安静 clean"),
    Condition("music_20", "背景音乐 music 20 dB", music_snr=20),
    Condition("music_10", "背景音乐 music 10 dB", music_snr=10),
    Condition("music_5", "背景音乐 music 5 dB", music_snr=5),
    Condition("vocals_20", "带人声的音乐 music+vocals 20 dB", music_snr=20, vocals=True),
    Condition("vocals_10", "带人声的音乐 music+vocals 10 dB", music_snr=10, vocals=True),
    Condition("vocals_5", "带人声的音乐 music+vocals 5 dB", music_snr=5, vocals=True),
    Condition("cohost_20", "助播同时说话 co-host 20 dB", cohost_snr=20),
    Condition("cohost_10", "助播同时说话 co-host 10 dB", cohost_snr=10),
    Condition("cohost_5", "助播同时说话 co-host 5 dB", cohost_snr=5),
    Condition("room", "音乐 10 dB + 助播 15 dB (target)", music_snr=10, cohost_snr=15),
    Condition("reverb", "房间混响 reverb RT60 0.6 s", rt60=0.6),
    Condition("phone", "电话音质 phone 300–3400 Hz, 8 kHz", phone=True),
    Condition("aac_16k", "AAC 16 kb/s", codec=("aac", 16_000)),
    Condition("mp3_16k", "MP3 16 kb/s", codec=("libmp3lame", 16_000)),
    Condition("room_aac_32k", "音乐 10 dB + 助播 15 dB, AAC 32 kb/s", music_snr=10, cohost_snr=15,
              codec=("aac", 32_000)),
)
TARGET = "room"
"""The condition the issue's target is set on."""


def seed_of(key: str, part: str) -> int:
    """A 64-bit seed for one part (``music``, ``cohost``, ``rir``...) of one sentence."""
    return int.from_bytes(hashlib.sha256(f"{ROOMS_VERSION}|{key}|{part}".encode()).digest()[:8], "little")


class Voices:
    """The voiced pools (co-host and vocals), loaded on first use (``pools``: given, by voice, e.g. in tests)."""

    def __init__(self, pools: dict[str, list[np.ndarray]] | None = None) -> None:
        self._pools: dict[str, list[np.ndarray]] = dict(pools or {})

    def pool(self, voice: str) -> list[np.ndarray]:
        """The co-host's lines (``COHOST_VOICE``) or the vocals' (``VOCALS_VOICE``), voiced."""
        if voice not in self._pools:
            self._pools[voice] = voice_pool(voice, VOCALS_LINES if voice == VOCALS_VOICE else COHOST_LINES)
        return self._pools[voice]


def _scaled(noise: np.ndarray, level: float, snr: float) -> np.ndarray:
    own = active_rms(noise)
    return noise * (level / own / 10 ** (snr / 20)) if own else noise


def render(condition: Condition, speech: np.ndarray, key: str, voices: Voices) -> np.ndarray:
    """The sentence ``speech`` (float32 16 kHz) of corpus key ``key`` under ``condition``, padded."""
    pad = int(PAD_S * RATE)
    host = np.pad(np.asarray(speech, np.float32), (pad, pad))
    n = host.size
    cohost = None
    if condition.cohost_snr is not None:
        cohost = chatter(voices.pool(COHOST_VOICE), n, np.random.default_rng(seed_of(key, "cohost")))
    if condition.rt60 is not None:
        rng = np.random.default_rng(seed_of(key, "rir"))
        host = reverberate(host, room_impulse(rng, condition.rt60))
        if cohost is not None:
            cohost = reverberate(cohost, room_impulse(rng, condition.rt60))
    level = active_rms(speech)
    mix = host.astype(np.float64)
    if condition.music_snr is not None:
        music = backing_track(n / RATE, seed_of(key, "music"))[:n].astype(np.float64)
        if condition.vocals:
            sung = chatter(voices.pool(VOCALS_VOICE), n, np.random.default_rng(seed_of(key, "vocals")))
            sung = reverberate(sung, room_impulse(np.random.default_rng(seed_of(key, "vocals-rir")), 1.2, 0.0))
            music = music + _scaled(sung, active_rms(music), -VOCALS_DB)
        mix += _scaled(music, level, condition.music_snr)
    if cohost is not None and condition.cohost_snr is not None:
        mix += _scaled(cohost, level, condition.cohost_snr)
    out = fit_peak(mix.astype(np.float32))
    if condition.phone:
        out = phone_band(out)
    if condition.codec is not None:
        out = fit_peak(codec_roundtrip(out, *condition.codec))
    return out
