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
