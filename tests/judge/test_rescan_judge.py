"""A rescan with the judge: its settings are part of the run key, and a source whose judge calls failed is
not taken as done (the next run asks again; the verdicts already given come from the cache)."""

from __future__ import annotations

from pathlib import Path

from monitor.config import ScanOptions
from monitor.detectors.claims import ClaimEngine
from monitor.judge import Judge, JudgeOptions, JudgePrompt
from monitor.pipeline.stored import source_keys

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
    media = tmp_path / "room.mp4"
    media.write_bytes(b"recorded room")
    plain = source_keys(str(media), ScanOptions(), claims, None)
    assert "judge" not in plain.settings, "rescans without the judge keep their run keys"
    with_judge = plain.with_settings(judge=judge().key())
    other_model = plain.with_settings(judge=judge(model="other").key())
    assert len({plain.run, with_judge.run, other_model.run}) == 3
    assert with_judge.settings["judge"] == {"model": "m", "prompt": PROMPT.id, "scope": "review", "min_confidence": 0.6}
