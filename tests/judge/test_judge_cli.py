"""`livemon check-text --judge URL --judge-model NAME` as a user runs it, against a local fake endpoint; the
judge's opinion in the HTML report, escaped."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from fake_openai import fake_openai, verdict
from typer.testing import CliRunner

from monitor.cli import app
from monitor.demo.bad_inputs import BadInputs
from monitor.findings import Evidence, Finding, SecondOpinion
from monitor.media.snapshots import SnapshotStore
from monitor.media.types import MediaInfo
from monitor.results import ScanResult
from monitor.sinks.html_report import render_report

LINES = ["家人们最后三单，拍完就没了", "三十九块九包邮", "今天天气是这周最好的，大家出门玩"]
runner = CliRunner()


def check_text(url: str | None, tmp_path: Path, *extra: str) -> tuple[list[dict[str, object]], str]:
    command = ["check-text", "--classifier", "none"]
    if url is not None:
        command += ["--judge", url, "--judge-model", "test-model", "--judge-concurrency", "1", *extra]
    result = runner.invoke(app, command, input="\n".join(LINES) + "\n", env={"LIVEMON_CACHE": str(tmp_path)})
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()], result.stderr


def test_check_text_shows_the_verdict_and_moves_review_hits(tmp_path: Path) -> None:
    plain, _ = check_text(None, tmp_path)
    with fake_openai(verdict("not_violation", "none", 0.9, "说的是天气，不是商品。")) as server:
        judged, summary = check_text(server.url, tmp_path)
    assert [r["text"] for r in judged] == LINES
    reviewed = [f for r in plain for f in r["findings"] if f["risk"] == "review"]
    after = [f for r in judged for f in r["findings"] if "judge" in f]
    assert len(after) == len(reviewed) == len(server.requests) > 0
    assert all(f["risk"] == "pass" and f["judge"]["risk_before"] == "review" for f in after)
    assert after[0]["judge"]["rationale"] == "说的是天气，不是商品。" and after[0]["judge"]["model"] == "test-model"
    context = json.loads(server.requests[0]["messages"][-1]["content"])["context"]
    assert LINES[0] in context and LINES[1] in context, "the neighbouring lines go with the line"
    assert "二审 judge" in summary and "失败 0 条" in summary
    assert server.headers[0].get("Authorization") is None


def test_check_text_with_a_failing_judge_prints_what_it_would_without_one(tmp_path: Path) -> None:
    plain, _ = check_text(None, tmp_path)
    with fake_openai(lambda r: (500, b"{}")) as server:
        judged, summary = check_text(server.url, tmp_path)
    assert judged == plain
    assert "失败" in summary and "HTTP 错误" in summary and "保持原样" in summary


def test_the_key_comes_from_the_environment(tmp_path: Path) -> None:
    with fake_openai(verdict()) as server:
        result = runner.invoke(app, ["check-text", "--classifier", "none", "--judge", server.url, "--judge-model", "m"],
                               input=LINES[0] + "\n", env={"LIVEMON_CACHE": str(tmp_path), "LIVEMON_JUDGE_KEY": "k-1"})
    assert result.exit_code == 0 and server.headers[0]["Authorization"] == "Bearer k-1"


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--judge", "http://127.0.0.1:9/v1"], "--judge needs --judge-model"),
     (["--judge-model", "m"], "--judge-model needs --judge URL"),
     (["--judge", "ftp://x/v1", "--judge-model", "m"], "http:// or https:// URL"),
     (["--judge", "http://127.0.0.1:9/v1", "--judge-model", "m", "--judge-format", "xml"], "--judge-format must be")],
)
def test_bad_judge_options_are_one_clear_error(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["check-text", "--classifier", "none", *args], input="你好\n")
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_the_report_shows_the_opinion_escaped() -> None:
    hostile = "</div><script>alert(1)</script><img src=x onerror=alert(2)>"
    opinion = SecondOpinion("not_violation", "none", f"说的是天气。{hostile}", 0.9, f"m{hostile}", "2026.12.1+abc",
                            "review")
    base = Finding("absolute_terms", "pass", 1.0, 3.0, "speech", "今天天气是这周最好的", 0.7, "《广告法》第九条",
                   rule="abs.superlative", evidence=Evidence(context="…"))
    judged = replace(base, evidence=replace(base.evidence, judge=opinion))
    info = MediaInfo("room.mp4", 12.0, True, True, 320, 240, 25.0)
    result = ScanResult(info=info, findings=[judged, replace(base, risk="review")], transcript=[], frame_texts=[],
                        snapshots=SnapshotStore(), stats={"stream_seconds": 12.0})
    html = render_report(result)
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "二审意见" in html and "不构成违规" in html
    assert "待审 → 通过" in html
    assert html.count("二审意见") == 1, "a finding without an opinion shows none"
    assert html.count("说的是天气。") == 1


def test_scan_with_the_judge_writes_the_opinion_to_the_findings_and_the_report(bad: BadInputs, tmp_path: Path) -> None:
    out, report = tmp_path / "f.jsonl", tmp_path / "report.html"
    with fake_openai(verdict("violation", "absolute_terms", 0.9, "绝对化用语，违反《广告法》第九条。")) as server:
        result = runner.invoke(app, ["scan", str(bad.audio_only), "--out", str(out), "--report", str(report),
                                     "--judge", server.url, "--judge-model", "test-model", "--judge-all"],
                               env={"LIVEMON_CACHE": str(tmp_path)})
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    judged = [r for r in records if "judge" in r["evidence"]]
    assert judged and len(judged) == len(server.requests)
    assert all(r["provenance"]["judge"]["model"] == "test-model" for r in judged)
    assert "绝对化用语，违反《广告法》第九条。" in report.read_text() and "二审 judge" in result.output
