"""Speaker turns of a stream's audio: voice embeddings over sliding windows, grouped by voice.

Fed decoded audio in order (like :class:`~monitor.observations.voice.VoiceFeaturesBuilder`), the
builder embeds every ``window_s`` window, ``hop_s`` apart, that is loud enough to hold speech
(each window raised or lowered to -30 dBFS first, so a voice's level does not move its
embedding), and keeps only the embeddings (float16, 0.5 KB a window) and a 10 ms power track.
At the end the windows are grouped by voice: each joins the nearest voice whose mean embedding
it matches by at least ``same_voice`` (cosine), else starts a new one; the groups are refined
twice against their means; voices whose means match by ``merge_voices`` become one, and a
voice heard for less than ``min_voice_s`` is given to the nearest other. A turn is a run of
one voice; a one-window run between two windows of another voice is read as that voice. A
change is placed at the quietest 10 ms between the two windows' centres.

Two voices at once make windows whose embeddings match neither voice well, and a stretch of
them groups as a voice of its own. Such a voice, whose mean is matched better (by at least
``mix_gain``) by a blend of two other voices' means than by either alone, is read as those two
talking at once: its windows go to the nearer of the two (the louder voice) and, where at least
``min_overlap_windows`` of them follow each other, are an overlap. With one voice in the stream,
or a second voice as loud as the first (whose windows then group with the second voice), no
overlap is told (measured in docs/speaker-turns.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitor.media.types import AudioPCM
from monitor.observations.speaker_embed import EMBED_DIM, HOP, SpeakerEncoder, mel_frames
from monitor.observations.turn_types import SpeakerTurn, SpeakerTurns

__all__ = ["SpeakerTurnsBuilder", "TurnOptions", "speaker_turns"]

_TARGET_RMS = 10 ** (-30 / 20)
_POWER_STEP = 160
"""Samples per power frame (10 ms)."""


@dataclass(frozen=True, slots=True)
class TurnOptions:
    """How turns are told apart; the defaults were chosen on generated two-voice rooms (docs/speaker-turns.md)."""

    window_s: float = 1.0
    hop_s: float = 0.5
    min_level_dbfs: float = -50.0
    """A 10 ms frame quieter than this is silence."""
    min_active: float = 0.6
    """A window with a smaller share of frames above ``min_level_dbfs`` is not embedded (too little speech)."""
    same_voice: float = 0.76
    merge_voices: float = 0.80
    min_voice_s: float = 1.5
    mix_gain: float = 0.025
    min_overlap_windows: int = 2
    batch: int = 64
    """Windows embedded at once."""


class SpeakerTurnsBuilder:
    """:class:`SpeakerTurns` of audio fed in order, chunk by chunk."""

    def __init__(
        self, encoder: SpeakerEncoder, options: TurnOptions = TurnOptions(), sample_rate: int = 16_000
    ) -> None:
        if sample_rate != 16_000:
            raise ValueError(f"speaker turns need 16 kHz audio, got {sample_rate} Hz")
        self.encoder, self.options = encoder, options
        self.window = int(options.window_s * sample_rate)
        self.hop = int(options.hop_s * sample_rate)
        self.frames = self.window // HOP
        self.start: float | None = None
        self._buffer = np.zeros(0, np.float32)
        self._consumed = 0
        """Samples dropped from the front of the buffer so far."""
        self._next = 0
        """Sample index (from the stream's first sample) of the next window's start."""
        self._pending: list[tuple[int, np.ndarray]] = []
        self._times: list[float] = []
        self._embeddings: list[np.ndarray] = []
        self._power: list[np.ndarray] = []
        self._power_carry = np.zeros(0, np.float32)

    def feed(self, pcm: AudioPCM) -> None:
        if not len(pcm.samples):
            return
        if self.start is None:
            self.start = pcm.start
        self._buffer = np.concatenate([self._buffer, pcm.samples])
        joined = np.concatenate([self._power_carry, pcm.samples])
        usable = len(joined) // _POWER_STEP * _POWER_STEP
        self._power.append(np.mean(np.square(joined[:usable].reshape(-1, _POWER_STEP)), axis=1).astype(np.float32))
        self._power_carry = joined[usable:]
        while self._next + self.window <= self._consumed + len(self._buffer):
            at = self._next - self._consumed
            self._window(self._next, self._buffer[at : at + self.window])
            self._next += self.hop
        drop = self._next - self._consumed
        if drop > 0:
            self._buffer = self._buffer[drop:]
            self._consumed += drop
        if len(self._pending) >= self.options.batch:
            self._embed()

    def _window(self, index: int, samples: np.ndarray) -> None:
        frames = samples[: len(samples) // _POWER_STEP * _POWER_STEP].reshape(-1, _POWER_STEP)
        floor = 10 ** (self.options.min_level_dbfs / 10)
        active = np.mean(np.mean(np.square(frames, dtype=np.float64), axis=1) >= floor)
        rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
        if rms <= 0 or active < self.options.min_active:
            return
        mels = mel_frames(samples * np.float32(_TARGET_RMS / rms))[: self.frames]
        self._pending.append((index, mels))

    def _embed(self) -> None:
        if not self._pending:
            return
        vectors = self.encoder.embed(np.stack([m for _, m in self._pending]))
        self._times += [index / 16_000 for index, _ in self._pending]
        self._embeddings.append(vectors.astype(np.float16))
        self._pending = []

    def windows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What the audio fed so far gave: each embedded window's start (stream seconds), its embedding, and the
        10 ms power track from the first sample (:attr:`start`)."""
        self._embed()
        embeddings = (
            np.concatenate(self._embeddings).astype(np.float32) if self._embeddings else np.zeros((0, EMBED_DIM))
        )
        power = np.concatenate(self._power) if self._power else np.zeros(0, np.float32)
        return np.asarray(self._times) + (self.start or 0.0), embeddings, power

    def result(self) -> SpeakerTurns:
        times, embeddings, power = self.windows()
        return speaker_turns(times, embeddings, power, self.start or 0.0, self.encoder.name, self.options)


def _normed(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-9)


def _group(embeddings: np.ndarray, options: TurnOptions) -> tuple[np.ndarray, np.ndarray]:
    """Each window's voice label and the voices' mean embeddings (unit norm)."""
    sums: list[np.ndarray] = []
    labels = np.zeros(len(embeddings), int)
    for i, vector in enumerate(embeddings):
        if sums:
            sims = _normed(np.stack(sums)) @ vector
            best = int(np.argmax(sims))
            if sims[best] >= options.same_voice:
                sums[best] = sums[best] + vector
                labels[i] = best
                continue
        sums.append(vector.copy())
        labels[i] = len(sums) - 1
    means = _normed(np.stack(sums))
    for _ in range(2):
        labels = np.argmax(embeddings @ means.T, axis=1)
        means = _normed(np.stack([embeddings[labels == k].sum(0) if np.any(labels == k) else means[k]
                                  for k in range(len(means))]))
    keep = _kept_voices(means, labels, options)
    means = means[keep]
    labels = np.argmax(embeddings @ means.T, axis=1)
    return labels, means


def _kept_voices(means: np.ndarray, labels: np.ndarray, options: TurnOptions) -> list[int]:
    """Voices heard long enough, one of each pair that match by ``merge_voices`` (the one heard more)."""
    counts = np.bincount(labels, minlength=len(means))
    min_windows = max(1, int(np.ceil(options.min_voice_s / options.hop_s)))
    order = sorted(range(len(means)), key=lambda k: -counts[k])
    kept: list[int] = []
    for k in order:
        if counts[k] < min_windows and kept:
            continue
        if any(float(means[k] @ means[j]) >= options.merge_voices for j in kept):
            continue
        kept.append(k)
    return sorted(kept)


def _smoothed(labels: np.ndarray, times: np.ndarray, hop: float) -> np.ndarray:
    """A single window of one voice between two adjacent windows of another takes theirs."""
    out = labels.copy()
    for i in range(1, len(labels) - 1):
        adjacent = times[i + 1] - times[i - 1] <= 2 * hop + 1e-6
        if adjacent and labels[i - 1] == labels[i + 1] != labels[i]:
            out[i] = labels[i - 1]
    return out


def _quietest(power: np.ndarray, start: float, lo: float, hi: float) -> float:
    a, b = int((lo - start) * 100), int((hi - start) * 100)
    a, b = max(0, a), min(len(power), b)
    if b <= a:
        return round((lo + hi) / 2, 3)
    return round(start + (a + int(np.argmin(power[a:b])) + 0.5) / 100, 3)


def speaker_turns(
    times: np.ndarray, embeddings: np.ndarray, power: np.ndarray, start: float, encoder: str,
    options: TurnOptions = TurnOptions(),
) -> SpeakerTurns:
    """Turns and overlaps from the embeddings of windows starting at ``times`` and the 10 ms power track."""
    if not len(embeddings):
        return SpeakerTurns(encoder)
    embeddings = _normed(embeddings)
    labels, means = _group(embeddings, options)
    labels, mixed = _unmixed(embeddings, labels, means, options)
    labels = _smoothed(labels, times, options.hop_s)
    centres = times + options.window_s / 2
    half = options.hop_s / 2
    turns: list[SpeakerTurn] = []
    begin = times[0]
    for i in range(1, len(labels) + 1):
        if i < len(labels) and labels[i] == labels[i - 1]:
            continue
        end = centres[i - 1] + half if i == len(labels) else _quietest(power, start, centres[i - 1], centres[i])
        if i == len(labels):
            end = min(end, times[-1] + options.window_s)
        turns.append(SpeakerTurn(round(float(begin), 3), round(float(end), 3), int(labels[i - 1])))
        begin = end
    return SpeakerTurns(encoder, tuple(turns), _overlaps(mixed, times, centres, options))


_BLEND = np.linspace(0.25, 0.75, 11)


def _blend_match(target: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """How well the best blend of ``a`` and ``b`` (a quarter to three quarters of each) matches ``target``."""
    return float((_normed(_BLEND[:, None] * a[None] + (1 - _BLEND[:, None]) * b[None]) @ target).max())


def _unmixed(
    embeddings: np.ndarray, labels: np.ndarray, means: np.ndarray, options: TurnOptions
) -> tuple[np.ndarray, np.ndarray]:
    """Labels with each blended voice's windows given to one of its two voices, and which windows those were.

    A run of blended windows goes on the turn of the voice heard just before it when that is one of
    the two (the other talked over it), else each window goes to the nearer of the two."""
    labels, mixed = labels.copy(), np.zeros(len(labels), bool)
    pair_of: dict[int, tuple[int, int]] = {}
    voices = range(len(means))
    for k in voices:
        for i, j in [(i, j) for i in voices for j in voices if k not in (i, j) and i < j]:
            single = max(float(means[k] @ means[i]), float(means[k] @ means[j]))
            if _blend_match(means[k], means[i], means[j]) - single >= options.mix_gain:
                pair_of[k] = (i, j)
                break
    before = -1
    for w, label in enumerate(labels.tolist()):
        pair = pair_of.get(label)
        if pair is None:
            before = label
            continue
        mixed[w] = True
        i, j = pair
        labels[w] = before if before in pair else (i if embeddings[w] @ means[i] >= embeddings[w] @ means[j] else j)
    return labels, mixed


def _overlaps(
    mixed: np.ndarray, times: np.ndarray, centres: np.ndarray, options: TurnOptions
) -> tuple[tuple[float, float], ...]:
    """Runs of at least ``min_overlap_windows`` blended windows, each window counted ± half a hop about its centre."""
    half = options.hop_s / 2
    runs: list[list[int]] = []
    for i in np.flatnonzero(mixed):
        if runs and times[i] - times[runs[-1][-1]] <= options.hop_s + 1e-6:
            runs[-1].append(int(i))
        else:
            runs.append([int(i)])
    return tuple(
        (round(float(centres[r[0]] - half), 3), round(float(centres[r[-1]] + half), 3))
        for r in runs if len(r) >= options.min_overlap_windows
    )
