"""The judge against a real model: Qwen2.5-Coder-1.5B-Instruct on llama.cpp's OpenAI-compatible server, started
here (``./setup-judge.sh`` installs both; ``.ci/run`` runs these after the default suite: ``pytest -m judge``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.judge.llama_server import MODEL_NAME, LlamaServer
from monitor.cli import app
from monitor.judge import JudgePrompt

pytestmark = pytest.mark.judge

LINES = ["家人们最后三单，拍完就没了，赶紧下单", "今天天气是这周最好的，大家出门玩"]
"""Two review hits of the rules: a claimed last stock (fake_scarcity), and a superlative about the weather."""


@pytest.fixture(scope="module")
def server() -> Iterator[LlamaServer]:
    missing = LlamaServer.available()
    if missing is not None:
        pytest.fail(missing)
    with LlamaServer(start_timeout=300) as running:
        yield running


def test_check_text_with_a_real_model_gives_valid_verdicts_and_caches_them(
    server: LlamaServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVEMON_CACHE", str(tmp_path))
    command = ["check-text", "--classifier", "none", "--judge", server.url, "--judge-model", MODEL_NAME,
               "--judge-format", "json_object", "--judge-concurrency", "1", "--judge-timeout", "900"]
    result = CliRunner().invoke(app, command, input="\n".join(LINES) + "\n")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    scarcity = [f for f in records[0]["findings"] if f["category"] == "fake_scarcity"]
    weather = [f for f in records[1]["findings"] if f["category"] == "absolute_terms"]
    assert scarcity and weather
    prompt = JudgePrompt.load()
    for f in scarcity + weather:
        judge = f["judge"]
        assert judge["model"] == MODEL_NAME and judge["prompt_version"] == prompt.id
        assert judge["risk_before"] == "review" and judge["rationale"].strip()
    deadline = next(f for f in scarcity if f["rule"] == "scar.deadline")
    assert deadline["judge"]["verdict"] == "violation" and deadline["risk"] == "block"
    assert weather[0]["judge"]["verdict"] == "not_violation" and weather[0]["risk"] == "pass"
    # The same model reads 最后三单 (scar.last_units) as "not a violation": it is a test fixture, not a
    # judge to trust (benchmarks/results/judge.md); its verdict on that hit is not asserted.
    assert "失败 0 条" in result.stderr
    again = CliRunner().invoke(app, command, input="\n".join(LINES) + "\n")
    assert again.stdout == result.stdout and f"缓存 {len(scarcity) + len(weather)}" in again.stderr
