"""Judging a `livemon watch` run: pooled per kind, a failed room fails the count."""

from __future__ import annotations

from benchmarks.rooms.verdict import KeepRule
from benchmarks.rooms.watch_rooms import judge_rooms
from monitor.results import RoomState


def _room(latency: float, *, error: str | None = None) -> RoomState:
    state = RoomState("demo.mp4", utterances=10, frames=20, error=error)
    state.timings["speech"].extend((float(t), latency) for t in range(10))
    state.timings["screen"].extend((float(t), 0.2) for t in range(20))
    return state


def test_rooms_within_the_bound_are_kept() -> None:
    summaries, kept, reason = judge_rooms([_room(1.0), _room(2.0)], KeepRule(max_p95_s=5.0))
    assert kept and reason == "kept"
    assert summaries["speech"].completed == 20 and summaries["screen"].expected == 40


def test_slow_speech_or_a_failed_room_is_not_kept() -> None:
    assert not judge_rooms([_room(1.0), _room(7.0)], KeepRule(max_p95_s=5.0))[1]
    _, kept, reason = judge_rooms([_room(1.0), _room(1.0, error="cannot open")], KeepRule())
    assert not kept and "failed" in reason


def test_missing_results_are_not_kept() -> None:
    room = _room(1.0)
    room.utterances = 12
    _, kept, reason = judge_rooms([room], KeepRule())
    assert not kept and "not back" in reason
