"""The rooms benchmark's pure parts: latency summaries, the keep rule and arrivals."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from benchmarks.rooms import AsrModeComparison, KeepRule, LatencySummary, Recording, keeps_up, room_arrivals, summarise
from benchmarks.rooms.capacity import RoomsCapacity
from benchmarks.rooms.live import RoomsOptions, RoomsRun
from benchmarks.rooms.verdict import latency_slope
from monitor.media.types import AudioPCM, SampledFrame


def _steady(n: int, latency: float, growth: float = 0.0) -> list[tuple[float, float]]:
    return [(float(t), latency + growth * t) for t in range(n)]


def test_summary_percentiles_and_flat_slope() -> None:
    s = summarise([(t, lat) for t, lat in zip(range(20), [1.0] * 19 + [4.0], strict=True)], expected=20)
    assert (s.p50, s.p95, s.max, s.completed) == (1.0, 1.0, 4.0, 20)
    assert s.p95 >= s.p50
    assert s.complete


def test_summary_refuses_more_results_than_items() -> None:
    with pytest.raises(ValueError, match="expected"):
        summarise(_steady(3, 1.0), expected=2)


@pytest.mark.parametrize(
    ("dues", "latencies", "slope"),
    [
        ([0, 10, 20, 30], [1, 2, 3, 4], 0.1),
        ([0, 10, 20], [2, 2, 2], 0.0),
        ([0, 10], [1, 5], 0.0),  # too few points to call a trend
        ([5, 5, 5], [1, 2, 3], 0.0),  # no spread in time
    ],
)
def test_latency_slope(dues: Sequence[float], latencies: Sequence[float], slope: float) -> None:
    assert latency_slope(dues, latencies) == pytest.approx(slope, abs=1e-9)


@pytest.mark.parametrize(
    ("speech", "expected_speech", "kept", "reason"),
    [
        (_steady(10, 2.0), 10, True, "kept"),
        (_steady(10, 6.0), 10, False, "p95 6.00 s over the 5 s bound"),
        (_steady(10, 1.0, growth=0.3), 10, False, "backlog growing"),
        (_steady(8, 1.0), 10, False, "2 of 10 items not back"),
        ([], 0, True, "kept"),
    ],
)
def test_keeps_up(speech: list[tuple[float, float]], expected_speech: int, kept: bool, reason: str) -> None:
    summaries = {"speech": summarise(speech, expected_speech), "screen": summarise(_steady(30, 0.2), 30)}
    got, why = keeps_up(summaries, KeepRule(max_p95_s=5.0, max_slope=0.1))
    assert got is kept
    assert reason in why


def _recording(utterances: tuple[tuple[float, float], ...], seconds: float = 10.0) -> Recording:
    audio = AudioPCM(np.zeros(int(seconds * 16_000), np.float32))
    image = np.zeros((18, 32, 3), np.uint8)
    frames = tuple(SampledFrame(float(t), t, image) for t in range(int(seconds)))
    return Recording(Path("x.mp4"), audio, frames, utterances, decode_seconds=0.5)


def test_room_arrivals_loop_and_offset() -> None:
    rec = _recording(((1.0, 3.0), (4.0, 9.5)))
    arrivals = room_arrivals(rec, room=1, offset=5.0, seconds=12.0)
    speech = [(a.due, a.audio.duration) for a in arrivals if a.audio is not None]
    # (4, 9.5) is cut by the start of the window; the loop brings (1, 3) at 6..8 and (4, 9.5) at 9..14.5 (past the end)
    assert speech == [(pytest.approx(8.0), pytest.approx(2.0))]
    frames = [a.due for a in arrivals if a.kind == "screen"]
    assert frames == [float(t) for t in range(12)]
    assert all(a.room == 1 for a in arrivals)
    assert [a.due for a in arrivals] == sorted(a.due for a in arrivals)


def _run(rooms: int, kept: bool) -> RoomsRun:
    s = LatencySummary(expected=1, completed=1, p50=1.0, p95=1.0, max=1.0, slope=0.0)
    return RoomsRun(rooms, 10.0, "window", s, s, 5.0, 10, 2, 0, 1.0, 1.0, 1, 0, 11.0, (), kept, "")


@pytest.mark.parametrize(
    ("kept", "max_kept"),
    [([True, True, False], 2), ([False, True], 0), ([True, True], 2), ([], 0)],
)
def test_max_kept_needs_every_smaller_count(kept: list[bool], max_kept: int) -> None:
    runs = tuple(_run(i + 1, k) for i, k in enumerate(kept))
    assert RoomsCapacity(runs, RoomsOptions(), None, 73.0, 0.9, 3.0).max_kept == max_kept


def test_asr_bound_rooms() -> None:
    modes = AsrModeComparison(utterances=4, audio_s=20.0, seconds={"plain": 10.0, "window": 4.0, "pipeline": 12.5})
    capacity = RoomsCapacity((), RoomsOptions(), modes, 73.0, 0.8, 3.0)
    assert capacity.asr_bound_rooms == pytest.approx(5.0 / 0.8)
    assert modes.fastest == "window" and modes.speedup("window") == pytest.approx(2.5)
    assert modes.speedup("pipeline") == pytest.approx(0.8)
    assert RoomsCapacity((), RoomsOptions(), None, 73.0, 0.8, 3.0).asr_bound_rooms is None
