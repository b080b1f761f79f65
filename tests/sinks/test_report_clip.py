"""The HTML report links a finding's clip relative to itself, percent-encoded, under the same CSP."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from monitor.sinks.html_report import render_report, write_report
from tests.sinks.test_hostile_values import HOSTILE, _hostile_result, _Page


def test_a_clip_is_linked_relative_to_the_report_and_can_never_be_a_scheme(tmp_path: Path) -> None:
    result = _hostile_result(HOSTILE["file name"])
    clip = tmp_path / "javascript:alert(1)" / "ab12.mp4"  # a folder name an operator could pick
    speech = result.findings[0]
    result.findings[0] = replace(speech, evidence=replace(speech.evidence, clip=str(clip), clip_start=0.5))
    report = tmp_path / "report.html"
    write_report(result, report)
    page = _Page()
    page.feed(report.read_text(encoding="utf-8"))
    hrefs = [attrs["href"] for tag, attrs in page.tags if tag == "a"]
    assert hrefs == ["javascript%3Aalert%281%29/ab12.mp4"]  # resolves to the clip beside the report
    assert "视频片段 clip" in "".join(page.text)
    without = render_report(_hostile_result(HOSTILE["file name"]), tmp_path)
    assert "<a " not in without and "视频片段" not in without
