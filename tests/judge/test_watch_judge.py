"""`watch --judge`: live findings carry the judge's opinion, and a slow or swamped judge loses none of them."""

from __future__ import annotations

import json
from pathlib import Path

from fake_openai import fake_openai, verdict
from typer.testing import CliRunner

from monitor.cli import app
from monitor.config import ScanOptions
from monitor.demo.bad_inputs import BadInputs
from monitor.findings import Finding
from monitor.judge import build_judge
from monitor.judge.run import JudgeStats
from monitor.pipeline.engines import Engines
from monitor.pipeline.watch import WatchOptions, watch

runner = CliRunner()


def _watch(bad: BadInputs, options: ScanOptions, engines: Engines, url: str, tmp_path: Path, *,
           timeout: float = 30.0, backlog: int = 32) -> tuple[list[Finding], JudgeStats]:
    judge = build_judge(url, "test-model", judge_all=True, timeout=timeout, cache=tmp_path / "verdicts.sqlite")
    assert judge is not None
    written: list[Finding] = []
    try:
        watch([str(bad.video_only)], options, engines, lambda f, s: written.append(f),
              WatchOptions(judge_backlog=backlog), judge=judge)
    finally:
        judge.close()
    return written, judge.stats


def test_live_findings_carry_the_judges_opinion(
    bad: BadInputs, options: ScanOptions, engines: Engines, tmp_path: Path
) -> None:
    with fake_openai(verdict("violation", "price_fraud", 0.9, "虚构原价，违反《价格法》第十四条。")) as server:
        written, stats = _watch(bad, options, engines, server.url, tmp_path)
    assert written, "the sample's planted price claim is found"
    assert all(f.evidence.judge is not None and f.evidence.judge.verdict == "violation" for f in written)
    assert all(f.provenance["judge"]["model"] == "test-model" for f in written)
    assert len(server.requests) == stats.asked == len(written)


def test_a_judge_slower_than_its_timeout_holds_no_finding_back_and_loses_none(
    bad: BadInputs, options: ScanOptions, engines: Engines, tmp_path: Path
) -> None:
    with fake_openai(verdict(), delay=3.0) as server:
        written, stats = _watch(bad, options, engines, server.url, tmp_path, timeout=0.5)
    with fake_openai(verdict()) as server:
        plain, _ = _watch(bad, options, engines, server.url, tmp_path / "again")
    assert len(written) == len(plain) > 0
    assert all(f.evidence.judge is None for f in written), "as the rules made them"
    assert stats.failures["timeout"] == len(written)


def test_a_full_backlog_hands_findings_on_unjudged_and_counts_them(
    bad: BadInputs, options: ScanOptions, engines: Engines, tmp_path: Path
) -> None:
    with fake_openai(verdict()) as server:
        written, stats = _watch(bad, options, engines, server.url, tmp_path, backlog=0)
    assert written and not server.requests
    assert stats.failures["backlog"] == len(written)
    assert "积压未送审" in stats.describe()


def test_watch_command_takes_the_judge_and_prints_its_counts(bad: BadInputs, tmp_path: Path) -> None:
    out = tmp_path / "w.jsonl"
    with fake_openai(verdict("not_violation", "none", 0.9, "说的是天气，不是商品。")) as server:
        result = runner.invoke(app, ["watch", str(bad.video_only), "--out", str(out), "--no-speech",
                                     "--judge", server.url, "--judge-model", "test-model", "--judge-all"],
                               env={"LIVEMON_CACHE": str(tmp_path)})
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert records and all(r["evidence"]["judge"]["verdict"] == "not_violation" for r in records)
    assert "二审 judge" in result.output
