"""Speaker turns of a live room, told an utterance at a time.

``watch`` hears a room as utterances cut by its streaming VAD, with gaps between them, so the
turns are told over each utterance on its own (the same :class:`SpeakerTurnsBuilder` as ``scan``
runs over a whole recording). A turn's id counts over the whole room; a voice's number is the
utterance's own (0 = the voice heard first in that utterance), since one utterance does not say
whether its voices are those of the one before.
"""

from __future__ import annotations

import threading

from monitor.media.types import AudioPCM
from monitor.observations.speaker_embed import SpeakerEncoder
from monitor.observations.speaker_turns import SpeakerTurnsBuilder, TurnOptions
from monitor.observations.turn_types import SpeakerTurn, SpeakerTurns

__all__ = ["LiveTurns"]


class LiveTurns:
    """One room's turns so far; :meth:`add` tells an utterance's and returns every turn up to it.

    ``lock`` is held while the encoder embeds: rooms on their own threads share one encoder, and
    torch's thread count (which the encoder sets and restores) is process-wide.
    """

    def __init__(self, encoder: SpeakerEncoder, lock: threading.Lock, options: TurnOptions | None = None) -> None:
        self.encoder, self.lock, self.options = encoder, lock, options or TurnOptions()
        self._turns: list[SpeakerTurn] = []
        self._overlaps: list[tuple[float, float]] = []

    def add(self, clip: AudioPCM) -> SpeakerTurns:
        """The room's turns with those of ``clip`` (an utterance, in room time) added."""
        builder = SpeakerTurnsBuilder(self.encoder, self.options, clip.sample_rate)
        with self.lock:
            builder.feed(clip)
            told = builder.result()
        self._turns += told.turns
        self._overlaps += told.overlaps
        return self.turns()

    def turns(self) -> SpeakerTurns:
        """Every turn told so far, in time order (a turn's id is its index)."""
        return SpeakerTurns(self.encoder.name, tuple(self._turns), tuple(self._overlaps))
