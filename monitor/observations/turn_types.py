"""Speaker turns as stored in the record: who spoke when, and where two voices talked at once."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

__all__ = ["SpeakerTurn", "SpeakerTurns", "TurnNote"]


@dataclass(frozen=True, slots=True)
class SpeakerTurn:
    """One stretch of one voice, uninterrupted by another (pauses inside it belong to it)."""

    start: float
    end: float
    speaker: int
    """The voice's label within this stream (0 = the voice heard first); not an identity across streams."""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"SpeakerTurn ends before it starts: {self.start} > {self.end}")


@dataclass(frozen=True, slots=True)
class TurnNote:
    """What a finding's evidence says of its speaker: the turn, the voice, and any talk over another voice."""

    turn: int
    speaker: int
    overlap_seconds: float

    @property
    def overlapped(self) -> bool:
        return self.overlap_seconds > 0


@dataclass(frozen=True, slots=True)
class SpeakerTurns:
    """The turns of a stream in time order (a turn's id is its index) and the overlap regions inside them."""

    encoder: str
    turns: tuple[SpeakerTurn, ...] = ()
    overlaps: tuple[tuple[float, float], ...] = ()
    """(start, end) of each stretch where a second voice was heard over the turn's own."""

    @property
    def speakers(self) -> int:
        return len({t.speaker for t in self.turns})

    def changes(self, start: float, end: float, margin: float = 0.0) -> list[float]:
        """Times strictly inside ``(start + margin, end - margin)`` where one turn hands over to the next."""
        return [
            b.start for a, b in zip(self.turns, self.turns[1:], strict=False)
            if a.speaker != b.speaker and start + margin < b.start < end - margin
        ]

    def turn_at(self, time: float) -> int | None:
        """The id of the turn at ``time``, or of the nearest one (``None`` when there are no turns)."""
        if not self.turns:
            return None
        i = bisect.bisect_right([t.start for t in self.turns], time) - 1
        near = [j for j in (i, i + 1) if 0 <= j < len(self.turns)]
        return min(near, key=lambda j: _distance(self.turns[j], time))

    def overlap_within(self, start: float, end: float) -> float:
        """Seconds of overlapped speech inside ``[start, end]``."""
        return round(sum(max(0.0, min(end, b) - max(start, a)) for a, b in self.overlaps), 3)

    def note(self, start: float, end: float) -> TurnNote | None:
        """The turn a line said from ``start`` to ``end`` belongs to (by its middle), with its overlap."""
        turn = self.turn_at((start + end) / 2)
        if turn is None:
            return None
        return TurnNote(turn, self.turns[turn].speaker, self.overlap_within(start, end))


def _distance(turn: SpeakerTurn, time: float) -> float:
    return 0.0 if turn.start <= time <= turn.end else min(abs(turn.start - time), abs(turn.end - time))
