"""The judge's prompt is data in prompts/judge/: found from the package, few-shot examples only from training
splits, the schema file the same as the pydantic model the answers are validated with."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import pytest

from benchmarks.claims.corpus import load_corpus
from benchmarks.claims.real.corpus import load_real
from monitor.errors import ConfigError
from monitor.findings import CLAIM_CATEGORIES
from monitor.judge import JudgePrompt, Verdict
from monitor.judge.prompt import PROMPTS
from monitor.judge.schema import CategoryName

REPO = Path(__file__).resolve().parents[2]


def test_the_package_reads_the_repositorys_prompt_folder() -> None:
    assert PROMPTS.resolve() == REPO / "prompts" / "judge"
    prompt = JudgePrompt.load()
    assert prompt.version == (REPO / "prompts" / "judge" / "VERSION").read_text().strip()
    assert prompt.id.startswith(prompt.version + "+")


def test_examples_come_only_from_training_splits_and_are_quoted_exactly() -> None:
    train = {r.id: r.text for r in load_corpus("train")}
    real_train = {line.id: line.text for line in load_real("train")}
    prompt = JudgePrompt.load()
    assert len(prompt.examples) >= 6
    for example in prompt.examples:
        pool = train if example.corpus == "claims" else real_train
        assert example.corpus in ("claims", "real") and example.id in pool, example.id
        assert example.finding["text"] == pool[example.id]
    verdicts = {e.answer.verdict for e in prompt.examples}
    assert verdicts == {"violation", "not_violation", "unsure"}


def test_the_schema_file_is_the_verdict_models_schema() -> None:
    assert JudgePrompt.load().schema == Verdict.model_json_schema()
    assert set(typing.get_args(CategoryName)) == {*CLAIM_CATEGORIES, "none"}


def test_a_prompt_change_changes_the_id_and_a_broken_folder_is_a_config_error(tmp_path: Path) -> None:
    folder = tmp_path / "judge"
    folder.mkdir()
    for name in ("VERSION", "system.md", "examples.jsonl", "schema.json"):
        (folder / name).write_bytes((PROMPTS / name).read_bytes())
    (folder / "system.md").write_text((PROMPTS / "system.md").read_text() + "\n补充一句。", encoding="utf-8")
    assert JudgePrompt.load(folder).id != JudgePrompt.load().id
    (folder / "examples.jsonl").write_text(json.dumps({"corpus": "claims", "id": "x", "finding": {"text": "t"},
                                                       "answer": {}}) + "\n")
    with pytest.raises(ConfigError, match="judge prompt"):
        JudgePrompt.load(folder)
    (folder / "VERSION").unlink()
    with pytest.raises(ConfigError, match="cannot read the judge prompt"):
        JudgePrompt.load(folder)
