"""The soak benchmark's pure parts: which planted claims a room must find, how its findings compare, the verdicts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.rooms.soak import outage_plan
from benchmarks.rooms.soak_truth import Appearance, appearances, covered_spans, match_findings, outside
from benchmarks.rooms.soak_verdict import backlog_verdict, memory_verdict, not_reading, ratio_from
from monitor.demo.truth import StreamTruth

LOOP = 73.2


@pytest.fixture(scope="module")
def truth(demo: tuple[Path, StreamTruth]) -> StreamTruth:
    return demo[1]


def _planted_once(truth: StreamTruth) -> int:
    return sum(len(b.speech_labels) + len(b.screen_labels) for b in truth.beats)


def test_every_label_of_every_loop_is_an_appearance_at_its_time_in_the_room(truth: StreamTruth) -> None:
    planted = appearances(truth, LOOP, t0=0.0, until=3 * LOOP)
    assert len(planted) == 3 * _planted_once(truth)
    first = next(a for a in planted if a.category == "price_fraud" and a.source == "screen")
    price = [a for a in planted if (a.category, a.source, a.beat) == ("price_fraud", "screen", first.beat)]
    assert [round(a.start - price[0].start, 6) for a in price] == [0.0, LOOP, 2 * LOOP]
    # a room that joined 30 s into the stream sees everything 30 s earlier, and nothing before it joined
    joined = appearances(truth, LOOP, t0=30.0, until=2 * LOOP)
    assert all(a.end > 0 for a in joined)
    shifted = {(a.loop, a.beat, a.category, a.source): a.start for a in planted}
    assert all(a.start == pytest.approx(shifted[(a.loop, a.beat, a.category, a.source)] - 30.0) for a in joined)


def test_two_labels_on_one_caption_are_two_appearances(truth: StreamTruth) -> None:
    planted = appearances(truth, LOOP, t0=0.0, until=LOOP)
    both = [b for b in truth.beats if len(b.screen_labels) == 2]
    assert both, "the demo room has a caption with two labels"
    assert {a.category for a in planted if a.beat == both[0].index and a.source == "screen"} == set(
        both[0].screen_labels)


@pytest.mark.parametrize(("outages", "until", "margin", "expected"), [
    ([], 100.0, 10.0, [(0.0, 100.0)]),
    ([(40.0, 60.0)], 100.0, 10.0, [(0.0, 30.0), (70.0, 100.0)]),
    ([(70.0, 80.0), (20.0, 30.0)], 100.0, 5.0, [(0.0, 15.0), (35.0, 65.0), (85.0, 100.0)]),
    ([(2.0, 95.0)], 100.0, 10.0, []),
])
def test_outside_outages(outages: list[tuple[float, float]], until: float, margin: float,
                         expected: list[tuple[float, float]]) -> None:
    assert outside(outages, until, margin) == expected


def test_segments_sent_merge_into_spans_and_a_skipped_one_leaves_a_gap() -> None:
    sent = [(4.0, 6.0), (0.0, 2.0), (2.0, 4.0), (10.0, 12.0)]
    assert covered_spans(sent) == [(0.0, 6.0), (10.0, 12.0)]


def _finding(a: Appearance, shift: float = 0.3, **over: Any) -> dict[str, Any]:
    return {"start": a.start + shift, "end": a.end - shift, "category": a.category, "source": a.source,
            "text": "…", **over}


def test_findings_compare_with_the_appearances_sent(truth: StreamTruth) -> None:
    planted = appearances(truth, LOOP, t0=0.0, until=2 * LOOP)
    spans = [(0.0, 60.0), (90.0, 2 * LOOP)]  # 60–90 s was not sent
    sent = [a for a in planted if a.end <= 60.0 or a.start >= 90.0]
    cut = [a for a in planted if a.start < 60.0 < a.end or a.start < 90.0 < a.end]
    findings = [_finding(a) for a in sent]
    assert match_findings(planted, spans, findings).complete

    lost, twice = sent[0], sent[1]
    findings = [_finding(a) for a in sent if a is not lost] + [_finding(twice, shift=0.5)]
    findings += [_finding(a) for a in cut]  # found although the outage cut them: neither required nor wrong
    findings.append({"start": 200.0, "end": 203.0, "category": "counterfeit", "source": "speech", "text": "假"})
    findings.append({"start": 5.0, "end": 9.0, "category": "dh_undisclosed", "source": "screen", "text": ""})
    result = match_findings(planted, spans, findings)
    assert result.expected == len(sent)
    assert result.missing == [lost]
    assert result.duplicated == [(twice, 2)]
    assert result.at_edges == len(cut)
    assert [f["category"] for f in result.extra] == ["counterfeit"]  # digital-human findings are not claims
    assert result.found_once == len(sent) - 2 and not result.complete


def test_a_finding_of_another_category_or_source_does_not_count(truth: StreamTruth) -> None:
    planted = appearances(truth, LOOP, t0=0.0, until=LOOP)
    speech = next(a for a in planted if a.source == "speech")
    wrong = [_finding(speech, source="screen"), _finding(speech, category="fake_data")]
    result = match_findings([speech], [(0.0, LOOP)], wrong)
    assert result.missing == [speech] and len(result.extra) == 2


def test_memory_is_judged_by_the_minute_after_the_first_against_the_last_minute() -> None:
    """RSS that rises and falls within each minute (the allocator trimmed once a minute) is flat, whichever
    phase of that cycle the first and last samples catch; RSS that climbs under the cycle is not."""
    times = [float(t) for t in range(0, 1196, 5)]  # the first minute ends just after a trim, the run just before
    cycle = [1100.0 + 150.0 * ((t % 60) / 60) for t in times]
    assert cycle[-1] / cycle[times.index(60.0)] > 1.1, "single samples would call this growth"
    assert memory_verdict(times, cycle).kept
    assert not memory_verdict(times, [c + 0.2 * t for c, t in zip(cycle, times, strict=True)]).kept


def test_memory_is_judged_against_the_first_minute() -> None:
    times = [0.0, 30.0, 60.0, 300.0, 600.0, 1200.0]
    flat = memory_verdict(times, [500.0, 900.0, 1000.0, 1020.0, 1010.0, 1050.0])
    assert flat.kept and flat.baseline_mib == 1000.0 and flat.ratio == pytest.approx(1.05)
    assert flat.peak_mib == 1050.0 and flat.slope_mib_per_10min > 0
    leaking = memory_verdict(times, [500.0, 900.0, 1000.0, 1050.0, 1100.0, 1200.0])
    assert not leaking.kept and leaking.ratio == pytest.approx(1.2)
    with pytest.raises(ValueError, match="no sample at or after 60 s"):
        memory_verdict([0.0, 30.0], [1.0, 2.0])


def test_a_backlog_that_ends_deeper_than_it_started_is_growing() -> None:
    times = [float(t) for t in range(0, 1201, 5)]
    steady = backlog_verdict(times, [3 + (i % 4) for i in range(len(times))], [(t, 2.0) for t in times])
    assert not steady.growing and steady.reason == "not growing"
    rising = backlog_verdict(times, [i // 10 for i in range(len(times))], [(t, 2.0) for t in times])
    assert rising.growing and "backlog at the end" in rising.reason
    slower = backlog_verdict(times, [3] * len(times), [(t, 1.0 + t / 300) for t in times])
    assert slower.growing and "latency grows" in slower.reason


@pytest.mark.parametrize("rooms", [1, 2, 3])
def test_outages_fall_at_different_moments_per_room_clear_of_the_first_minute_and_the_end(rooms: int) -> None:
    plan = outage_plan(rooms, 2, 1200.0, 20.0, 40.0)
    assert len(plan) == rooms and all(len(p) == 2 for p in plan)
    for outages in plan:
        assert all(75.0 <= a < b <= 1200.0 - 45.0 and 20.0 <= b - a <= 40.0 for a, b in outages)
        assert outages[0][1] < outages[1][0]
    assert len({p[0][0] for p in plan}) == rooms
    with pytest.raises(ValueError, match="do not fit"):
        outage_plan(2, 2, 180.0, 20.0, 40.0)


def test_a_room_that_reads_nothing_for_a_while_is_told_with_when() -> None:
    times = [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0]
    stream = [0.0, 9.0, 19.0, 19.0, 19.0, 19.0, 55.0, 65.0]  # stuck from 20 s to 50 s
    assert not_reading(times, stream) == [(20.0, 50.0)]
    assert not_reading(times, stream, min_s=40.0) == []
    assert not_reading(times, [0.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0]) == [(10.0, 70.0)]  # never came back


def test_memory_over_the_second_half() -> None:
    assert ratio_from([0.0, 300.0, 600.0, 900.0], [1.0, 2.0, 4.0, 5.0], 500.0) == (600.0, 1.25)
