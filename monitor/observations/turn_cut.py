"""Transcript lines cut where one speaker hands over to another, so no line holds two speakers' words.

Whisper does not know who is speaking, and it joins a host's sentence and a co-host's reply into
one segment as readily as two sentences of one voice. A segment that a turn change falls inside
is cut there: at the punctuation mark nearest to where the change falls at an even speech rate,
when one is within ``snap_s`` seconds of it, else at that character itself (a turn change is a
fact of the audio; a line that holds two voices is wrong whether or not Whisper wrote a mark).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from monitor.observations.sentences import MARK, spoken_length
from monitor.observations.turn_types import SpeakerTurns
from monitor.observations.types import TranscriptSegment

__all__ = ["TurnCutTranscript", "cut_at_turns", "cut_segment"]

SNAP_S = 0.6
EDGE_S = 0.3
"""A change this close to a segment's start or end cuts nothing (a turn's edge and a segment's differ that much)."""


def _char_at(text: str, spoken: int) -> int:
    """Index in ``text`` just after its ``spoken``-th spoken character."""
    count = 0
    for index, char in enumerate(text):
        if count >= spoken:
            return index
        if spoken_length(char):
            count += 1
    return len(text)


def cut_segment(
    segment: TranscriptSegment, changes: Sequence[float], snap_s: float = SNAP_S
) -> list[TranscriptSegment]:
    """``segment`` cut at the turn ``changes`` (stream times inside it, sorted)."""
    text = segment.text
    total = spoken_length(text)
    duration = segment.end - segment.start
    if not changes or total < 2 or duration <= 0:
        return [segment]
    rate = duration / total
    marks = [m.end() for m in MARK.finditer(text) if 0 < m.end() < len(text)]
    cuts: list[tuple[float, int]] = []
    for change in changes:
        estimate = _char_at(text, round((change - segment.start) / rate))
        near = [m for m in marks if abs(segment.start + spoken_length(text[:m]) * rate - change) <= snap_s]
        at = min(near, key=lambda m: abs(segment.start + spoken_length(text[:m]) * rate - change)) if near else estimate
        if 0 < at < len(text) and (not cuts or at > cuts[-1][1]):
            cuts.append((change, at))
    if not cuts:
        return [segment]
    pieces: list[TranscriptSegment] = []
    begin, index = segment.start, 0
    raw_ratio = len(segment.raw_text) / len(text) if text else 0.0
    for change, at in [*cuts, (segment.end, len(text))]:
        piece = text[index:at].strip()
        if piece:
            raw = segment.raw_text[round(index * raw_ratio) : round(at * raw_ratio)].strip() if raw_ratio else ""
            end = round(max(begin, change), 3)
            pieces.append(TranscriptSegment(round(begin, 3), end, piece, raw, segment.confidence))
        begin, index = change, at
    if segment.cut_off and pieces:  # only the last piece ran on to where the stream broke off
        pieces[-1] = replace(pieces[-1], cut_off=True)
    return pieces


def cut_at_turns(segments: Iterable[TranscriptSegment], turns: SpeakerTurns | None) -> Iterator[TranscriptSegment]:
    """Each segment, cut at the turn changes that fall inside it (all of them as they are without turns)."""
    for segment in segments:
        changes = turns.changes(segment.start, segment.end, margin=EDGE_S) if turns is not None else []
        yield from cut_segment(segment, changes) if changes else (segment,)


class TurnCutTranscript(Iterable[TranscriptSegment]):
    """A transcript (held or read a part at a time) seen through :func:`cut_at_turns`, as often as it is iterated."""

    def __init__(self, segments: Iterable[TranscriptSegment], turns: SpeakerTurns | None) -> None:
        self.segments, self.turns = segments, turns

    def __iter__(self) -> Iterator[TranscriptSegment]:
        return cut_at_turns(self.segments, self.turns)
