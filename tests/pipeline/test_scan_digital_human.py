"""Issue 4 through the whole scan: digital-human findings appear in ``livemon scan`` output."""

from __future__ import annotations

import pytest

from benchmarks.digital_human.generate import clip_path
from benchmarks.digital_human.scenario import Scenario
from monitor.config import ScanOptions
from monitor.pipeline.engines import Engines
from monitor.pipeline.scan import scan


@pytest.mark.parametrize(
    ("host", "condition", "expected"),
    [
        ("avatar", "no_label", {"dh_undisclosed"}),
        ("avatar", "metadata_only", {"dh_undisclosed"}),
        ("avatar", "intermittent", {"dh_label_intermittent"}),
        ("avatar", "continuous", set()),
        ("human", "no_label", set()),
    ],
)
def test_scan_reports_digital_human_findings(
    options: ScanOptions, engines: Engines, host: str, condition: str, expected: set[str]
) -> None:
    clip = clip_path(Scenario(host=host, condition=condition, seed=0))  # type: ignore[arg-type]
    result = scan(str(clip), options, engines)
    found = {f.category for f in result.findings if f.category.startswith("dh_")}
    assert found == expected, result.digital_human.summary() if result.digital_human else result.warnings
    for f in result.findings:
        if f.category.startswith("dh_"):
            assert f.evidence.signals and f.basis and f.end > f.start
            if f.risk == "block":
                assert f.source != "video", "an AI-likelihood alone must never block"


@pytest.mark.parametrize("framing", ["vertical-720x1280", "landscape-640x360"])
def test_scan_judges_a_host_at_live_room_framing_and_says_how_big_the_face_was(tmp_path, framing: str) -> None:
    from typer.testing import CliRunner

    from monitor.cli import app

    clip = clip_path(Scenario(host="avatar", condition="no_label", seed=0, framing=framing))
    out = tmp_path / "findings.jsonl"
    report = tmp_path / "report.html"
    result = CliRunner().invoke(
        app, ["scan", str(clip), "--no-speech", "--out", str(out), "--report", str(report)], terminal_width=200
    )
    assert result.exit_code == 0, result.output
    width, height = (int(v) for v in framing.split("-")[1].split("x"))
    assert "未判断" not in result.output and f"{width}x{height}" in result.output
    assert ("竖屏 vertical" if height > width else "横屏 landscape") in result.output
    assert "dh_undisclosed" in out.read_text(encoding="utf-8")
    assert f"{width}x{height}" in report.read_text(encoding="utf-8")
