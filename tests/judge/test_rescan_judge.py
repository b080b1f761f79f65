"""A rescan with the judge: its settings are part of the run key, and a source whose judge calls failed is
not taken as done (the next run asks again; the verdicts already given come from the cache)."""

from __future__ import annotations

from pathlib import Path

from monitor.config import ScanOptions
from monitor.detectors.claims import ClaimEngine
from monitor.judge import Judge, JudgeOptions, JudgePrompt
from monitor.pipeline.rescan import _run_key

PROMPT = JudgePrompt.load()


class _NoClient:
    def complete(self, messages: object, schema: object) -> object:
        raise AssertionError("not called")


def judge(scope: str = "review", model: str = "m") -> Judge:
    return Judge(_NoClient(), model, PROMPT, JudgeOptions(scope=scope))  # type: ignore[arg-type]


def record(risk: str, category: str = "fake_scarcity", judged: bool = False) -> dict[str, object]:
    evidence: dict[str, object] = {"context": "", "signals": {}}
    if judged:
        evidence["judge"] = {"verdict": "unsure"}
    return {"category": category, "risk": risk, "evidence": evidence}


def test_pending_means_a_finding_to_judge_without_an_opinion() -> None:
    assert judge().pending([record("review")])
    assert not judge().pending([record("review", judged=True), record("block"), record("review", "dh_undisclosed")])
    assert judge("all").pending([record("block")])
    assert not judge().pending([])


def test_the_judge_changes_the_run_key_only_when_asked_for(tmp_path: Path) -> None:
    claims = ClaimEngine.load()
    options = ScanOptions()
    keys = {"speech": "s"}
    plain, settings = _run_key(keys, options, claims, None)
    assert "judge" not in settings, "rescans without the judge keep their run keys"
    with_judge, settings = _run_key(keys, options, claims, None, judge())
    other_model, _ = _run_key(keys, options, claims, None, judge(model="other"))
    assert len({plain, with_judge, other_model}) == 3
    assert settings["judge"] == {"model": "m", "prompt": PROMPT.id, "scope": "review", "min_confidence": 0.6}
