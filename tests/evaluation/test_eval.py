"""`livemon eval`: stored findings scored against labelled segments, by category, source and time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.config import ScanOptions
from monitor.demo.truth import StreamTruth
from monitor.errors import ConfigError
from monitor.evaluation import TruthSegment, read_truth, score_findings
from monitor.pipeline.engines import Engines
from monitor.pipeline.rescan import rescan
from monitor.sources.batch import BatchSource
from monitor.store import Store


def _finding(category: str, start: float, end: float, source: str = "speech", stream: str = "/rec/a.mp4") -> dict:
    return {"stream": stream, "category": category, "start": start, "end": end, "source": source}


TRUTH = [
    TruthSegment("a.mp4", "price_fraud", 10.0, 14.0, "speech"),
    TruthSegment("a.mp4", "absolute_terms", 20.0, 22.0, "screen"),
    TruthSegment("a.mp4", "clean", 30.0, 34.0, "speech"),
    TruthSegment("a.mp4", "clean", 40.0, 44.0, "speech"),
]


def test_claims_are_matched_by_category_source_and_time() -> None:
    findings = [
        _finding("price_fraud", 12.5, 15.0),  # found
        _finding("absolute_terms", 21.0, 21.0, "speech"),  # right time and category, wrong source
        _finding("fake_data", 31.0, 33.0),  # on a clean segment: a false flag
        _finding("price_fraud", 12.0, 13.0, stream="/rec/b.mp4"),  # another, unlabelled stream: ignored
    ]
    result = score_findings(TRUTH, findings)
    assert result.by_category["price_fraud"] == {
        "truth": 1, "found": 1, "findings": 1, "correct": 1, "precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert result.by_category["absolute_terms"]["recall"] == 0.0  # the speech finding does not find a screen claim
    assert result.by_category["absolute_terms"]["precision"] == 1.0  # but it is right about the time and category
    assert result.by_category["fake_data"]["precision"] == 0.0
    assert result.micro["found"] == 1 and result.micro["truth"] == 2 and result.micro["findings"] == 3
    assert result.clean == {"segments": 2, "flagged": 1, "flagged_share": 0.5}
    assert result.timing["median_abs_offset_s"] == 2.5
    assert result.confusion["clean"] == {"fake_data": 1}


def test_a_bad_truth_line_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "truth.jsonl"
    path.write_text('{"stream": "a.mp4", "category": "price_fraud", "start": 1, "end": 2}\n{"stream": "a.mp4"}\n')
    with pytest.raises(ConfigError, match="line 2"):
        read_truth(path)
    path.write_text('{"stream": "a.mp4", "category": "lies", "start": 1, "end": 2}\n')
    with pytest.raises(ConfigError, match="unknown category 'lies'"):
        read_truth(path)


def test_eval_of_the_demo_against_its_planted_truth(
    tmp_path: Path, demo: tuple[Path, StreamTruth], engines: Engines, options: ScanOptions
) -> None:
    video, truth = demo
    with Store.open(tmp_path / "store") as store:
        rescan([BatchSource(str(video))], options, store, lambda spec, found: None, claims=engines.claims,
               engines=engines)
    lines = truth.truth_lines(video.name)
    (tmp_path / "truth.jsonl").write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines))
    result = CliRunner().invoke(app, ["eval", "--store", str(tmp_path / "store"), "--truth",
                                      str(tmp_path / "truth.jsonl"), "--out", str(tmp_path / "eval")])
    assert result.exit_code == 0, result.output
    scores = json.loads((tmp_path / "eval" / "eval.json").read_text())
    planted = sum(1 for line in lines if line["category"] != "clean")
    assert scores["micro"]["truth"] == planted and scores["micro"]["recall"] >= 0.8
    assert scores["by_source"]["speech"]["truth"] >= 3 and scores["by_source"]["screen"]["truth"] >= 3
    assert scores["clean"]["flagged_share"] <= 0.2
    assert (tmp_path / "eval" / "eval.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "micro" in (tmp_path / "eval" / "eval.md").read_text().lower()
