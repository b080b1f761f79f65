"""Speaker turns of a live room, told as each utterance arrives, over a rolling window of the room's recent speech.

``watch`` hears a room as utterances cut by its streaming VAD, with gaps between them. Each utterance's
windows are embedded once (the same :class:`SpeakerTurnsBuilder` as ``scan``); its turns are then told by
:func:`speaker_turns` over the windows of the last ``context_s`` seconds of the room's speech, so a voice
heard alone a sentence earlier is known when the next utterance holds it mixed with another (a claim spoken
over by a co-host). Only the turns and overlaps inside the new utterance are added: a turn's id counts over
the whole room; a voice's number is its order of first appearance within the rolling window, the same voice
keeping its number while it stays in the window.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

import numpy as np

from monitor.media.types import AudioPCM
from monitor.observations.speaker_embed import SpeakerEncoder
from monitor.observations.speaker_turns import SpeakerTurnsBuilder, TurnOptions, speaker_turns
from monitor.observations.turn_types import SpeakerTurn, SpeakerTurns

__all__ = ["CONTEXT_S", "LiveTurns"]

CONTEXT_S = 60.0
"""Seconds of a room's recent speech its turns are told over."""
_FRAME_S = 0.01
"""The power track's step."""


@dataclass(frozen=True, slots=True)
class _Heard:
    start: float
    end: float
    times: np.ndarray
    embeddings: np.ndarray
    power: np.ndarray


def _on_grid(clip: AudioPCM, hop_s: float) -> AudioPCM:
    """``clip`` with silence before it back to the room clock's last multiple of ``hop_s``: its windows then
    fall where a scan of the whole room would put them (which windows hold a voice alone, and which two at
    once, depends on where they fall)."""
    lead = round((clip.start % hop_s) * clip.sample_rate)
    if lead == 0:
        return clip
    samples = np.concatenate([np.zeros(lead, clip.samples.dtype), clip.samples])
    return AudioPCM(samples, clip.sample_rate, clip.start - lead / clip.sample_rate)


class LiveTurns:
    """One room's turns so far; :meth:`add` tells an utterance's and returns every turn up to it.

    ``lock`` is held while the encoder embeds: rooms on their own threads share one encoder, and
    torch's thread count (which the encoder sets and restores) is process-wide.
    """

    def __init__(self, encoder: SpeakerEncoder, lock: threading.Lock, options: TurnOptions | None = None,
                 context_s: float = CONTEXT_S) -> None:
        self.encoder, self.lock, self.options, self.context_s = encoder, lock, options or TurnOptions(), context_s
        self._recent: deque[_Heard] = deque()
        self._turns: list[SpeakerTurn] = []
        self._overlaps: list[tuple[float, float]] = []

    def add(self, clip: AudioPCM) -> SpeakerTurns:
        """The room's turns with those of ``clip`` (an utterance, in room time, after every earlier one) added."""
        builder = SpeakerTurnsBuilder(self.encoder, self.options, clip.sample_rate)
        with self.lock:
            builder.feed(_on_grid(clip, self.options.hop_s))
            times, embeddings, power = builder.windows()
        end = clip.start + clip.duration
        self._recent.append(_Heard(clip.start, end, times, embeddings, power))
        while self._recent[0].end < end - self.context_s:
            self._recent.popleft()
        told = self._told()
        for turn in told.turns:
            begin, finish = max(turn.start, clip.start), min(turn.end, end)
            if finish > begin:
                self._turns.append(SpeakerTurn(round(begin, 3), round(finish, 3), turn.speaker))
        self._overlaps += [
            (max(a, clip.start), min(b, end)) for a, b in told.overlaps if min(b, end) > max(a, clip.start)
        ]
        return self.turns()

    def turns(self) -> SpeakerTurns:
        """Every turn told so far, in time order (a turn's id is its index)."""
        return SpeakerTurns(self.encoder.name, tuple(self._turns), tuple(self._overlaps))

    def _told(self) -> SpeakerTurns:
        """Turns over the recent utterances' windows, their power tracks laid on one clock (silence between)."""
        start = self._recent[0].start
        power = np.zeros(round((self._recent[-1].end - start) / _FRAME_S) + 1, np.float32)
        for heard in self._recent:
            at = round((heard.start - start) / _FRAME_S)
            piece = heard.power[: max(0, len(power) - at)]
            power[at : at + len(piece)] = piece
        return speaker_turns(
            np.concatenate([h.times for h in self._recent]), np.concatenate([h.embeddings for h in self._recent]),
            power, start, self.encoder.name, self.options,
        )
