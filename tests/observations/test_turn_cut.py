"""Transcript lines cut at speaker-turn changes: a line never holds two speakers' words."""

from __future__ import annotations

from dataclasses import replace

import pytest

from monitor.observations.turn_cut import TurnCutTranscript, cut_at_turns, cut_segment
from monitor.observations.turn_types import SpeakerTurn, SpeakerTurns
from monitor.observations.types import TranscriptSegment

# 20 spoken characters over 8 s: 0.4 s a character; the host's 10 end at 6.0 s
MERGED = TranscriptSegment(
    2.0, 10.0, "百分之百有效立竿见影。大家记得看看成分表哦。", "百分之百有效立竿見影。大家記得看看成分表哦。", 0.8
)


@pytest.mark.parametrize(
    ("change", "first"),
    [
        (6.0, "百分之百有效立竿见影。"),  # at the full stop (6.0 s at an even rate)
        (6.5, "百分之百有效立竿见影。"),  # within snap_s of it: snaps to the mark
        (3.6, "百分之百"),  # no mark near: cut at the character the change falls on
    ],
)
def test_a_line_is_cut_where_the_turn_changes(change: float, first: str) -> None:
    pieces = cut_segment(MERGED, [change])
    assert [p.text for p in pieces] == [first, MERGED.text[len(first) :]]
    assert pieces[0].start == MERGED.start and pieces[-1].end == MERGED.end
    assert pieces[0].end == pieces[1].start == change
    assert all(p.confidence == MERGED.confidence for p in pieces)
    assert "".join(p.raw_text for p in pieces) == MERGED.raw_text


def test_without_a_change_the_line_stays_whole() -> None:
    assert cut_segment(MERGED, []) == [MERGED]
    turns = SpeakerTurns("x", (SpeakerTurn(0.0, 20.0, 0),))
    assert list(cut_at_turns([MERGED], turns)) == [MERGED]
    assert list(cut_at_turns([MERGED], None)) == [MERGED]


def test_a_change_at_the_lines_edge_cuts_nothing() -> None:
    turns = SpeakerTurns("x", (SpeakerTurn(0.0, 2.1, 0), SpeakerTurn(2.1, 20.0, 1)))
    assert list(cut_at_turns([MERGED], turns)) == [MERGED]


def test_two_changes_give_three_lines_and_the_view_can_be_read_again() -> None:
    turns = SpeakerTurns(
        "x", (SpeakerTurn(0.0, 4.0, 0), SpeakerTurn(4.0, 7.2, 1), SpeakerTurn(7.2, 12.0, 0))
    )
    view = TurnCutTranscript([MERGED], turns)
    first, again = list(view), list(view)
    assert first == again and len(first) == 3
    assert "".join(p.text for p in first) == MERGED.text


def test_a_line_the_stream_cut_off_stays_cut_off_only_in_its_last_piece() -> None:
    pieces = cut_segment(replace(MERGED, cut_off=True), [6.0])
    assert [p.cut_off for p in pieces] == [False, True], "the host's finished sentence is whole; the rest was cut"
