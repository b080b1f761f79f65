"""The report reads the transcript once, in time order, and snapshots one page at a time."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.speed.report_size import long_result, transcript_of
from monitor.findings import Finding
from monitor.observations.types import TranscriptSegment
from monitor.sinks.html_report import write_report
from monitor.sinks.report_env import timecode
from monitor.sinks.report_plan import by_category, by_hour, plan_pages
from monitor.sinks.report_transcript import CONTEXT_SECONDS, ExcerptLine, read_transcript


def _random_run(seed: int) -> tuple[list[TranscriptSegment], list[Finding]]:
    rng = random.Random(seed)
    starts = sorted(rng.uniform(0, 600) for _ in range(300))
    segments = [TranscriptSegment(s, s + rng.choice([0.2, 1.5, 12.0]), f"line {n}") for n, s in enumerate(starts)]
    findings = []
    for n in range(80):
        start = rng.uniform(-5, 620)
        findings.append(Finding("price_fraud", "review", max(0.0, start), max(0.0, start) + rng.uniform(0, 20),
                                rng.choice(["speech", "screen"]), f"f{n}", 0.5, "basis"))
    return segments, findings


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_excerpts_and_anchors_match_the_rule_read_the_slow_way(seed: int) -> None:
    segments, findings = _random_run(seed)
    seen = read_transcript(iter(segments), findings, block_seconds=120)
    for i, f in enumerate(findings):
        expected = [
            ExcerptLine(timecode(s.start), s.text, s.start < f.end and s.end > f.start)
            for s in segments
            if s.end >= f.start - CONTEXT_SECONDS and s.start <= f.end + CONTEXT_SECONDS
        ] if f.source == "speech" else []
        assert seen.excerpts.get(i, []) == expected
        ordinal = next((n for n, s in enumerate(segments) if s.end >= f.start), len(segments) - 1)
        minutes = int(segments[ordinal].start // 120) * 2  # the first minute of its two-minute block
        assert seen.anchors[i] == (f"transcript-{minutes // 60:02d}{minutes % 60:02d}.html", ordinal)


def test_blocks_hold_every_line_once_and_mark_the_spoken_findings() -> None:
    segments, findings = _random_run(3)
    blocks = []
    read_transcript(segments, findings, block_seconds=180, on_block=blocks.append)
    assert [line.segment for b in blocks for line in b.lines] == segments
    assert [b.name for b in blocks] == ["transcript-0000.html", "transcript-0003.html", "transcript-0006.html",
                                        "transcript-0009.html"]
    for block in blocks:
        for line in block.lines:
            s = line.segment
            assert block.start <= s.start < block.end
            assert sorted(line.hits) == [i for i, f in enumerate(findings)
                                         if f.source == "speech" and s.start < f.end and s.end > f.start]


@pytest.mark.parametrize(("call", "message"), [
    (lambda: read_transcript([TranscriptSegment(5, 6, "b"), TranscriptSegment(1, 2, "a")], []), "in time order"),
    (lambda: read_transcript([], [], block_seconds=90), "whole minutes"),
    (lambda: plan_pages([], 0), "at least one finding"),
])
def test_bad_input_is_refused(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_groups_count_by_risk_and_join_consecutive_pages() -> None:
    _, findings = _random_run(4)
    pages = plan_pages(findings, 7)
    assert [len(p.findings) for p in pages] == [7] * 11 + [3]
    assert sorted(i for p in pages for i in p.findings) == list(range(80))
    (group,) = by_category(findings, pages)
    assert group.count == 80 and group.risks == {"block": 0, "review": 80, "pass": 0}
    assert [(a.number, b.number) for a, b in group.runs] == [(1, 12)]
    hours = by_hour(findings, pages)
    assert [h.key for h in hours] == ["00:00–01:00"] and hours[0].count == 80


def test_snapshots_are_read_one_page_at_a_time_while_the_transcript_is_read(tmp_path: Path) -> None:
    result = long_result(tmp_path / "snapshots", hours=1, findings=120)
    folder = tmp_path / "report_files"
    read = 0
    calls: list[tuple[str, int, int]] = []

    def segments() -> Iterator[TranscriptSegment]:
        nonlocal read
        for segment in transcript_of(3600, 500)():
            read += 1
            yield segment

    def snapshot(name: str) -> bytes | None:
        calls.append((name, len(list(folder.glob("findings-*.html"))), read))
        return result.snapshots.images.get(name)

    write_report(result, tmp_path / "report.html", page_size=50, snapshot=snapshot, transcript=segments())
    pages = plan_pages(result.findings, 50)
    expected = [(result.findings[i].evidence.snapshot, page.number - 1) for page in pages for i in page.findings]
    assert [(name, written) for name, written, _ in calls] == expected  # each once, after the pages before it
    first_page = [lines for _, written, lines in calls if written == 0]
    assert max(first_page) < 250  # page 1 (the first 50 of 120 findings) went out before half the transcript was read
