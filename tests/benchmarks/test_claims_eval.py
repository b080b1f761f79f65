"""The claims benchmark's scoring on a tiny hand-made table."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.claims.evaluate import Counts, score

CATS = ("a", "b", "c")
COMPANIONS = {frozenset(("a", "b"))}
TRUTH = [("a",), ("a", "c"), ("b",), (), (), ("c",)]
PREDICTED = [{"a", "b"}, {"a"}, {"c"}, {"a"}, set(), {"c"}]
# a: TP rows 0,1; FP row 3 (clean).  b: FN row 2; row 0 extra b is a companion of a → ignored.
# c: TP row 5; FN row 1; FP row 2 (c is no companion of b).


def test_per_category_and_micro() -> None:
    s = score(TRUTH, PREDICTED, COMPANIONS, CATS)
    assert s.per_category == {"a": Counts(2, 1, 0), "b": Counts(0, 0, 1), "c": Counts(1, 1, 1)}
    assert s.micro == Counts(3, 2, 2)
    assert s.micro.precision == pytest.approx(3 / 5)
    assert s.micro.recall == pytest.approx(3 / 5)
    assert s.micro.f1 == pytest.approx(0.6)
    assert s.per_category["a"].precision == pytest.approx(2 / 3)
    assert s.per_category["a"].f1 == pytest.approx(0.8)
    assert s.per_category["c"].f1 == pytest.approx(0.5)
    assert s.per_category["b"].f1 == 0.0
    assert s.errors["a"]["fp"] == [3]
    assert s.errors["c"] == {"fn": [1], "fp": [2]}


def test_strict_counts_every_extra_and_clean_rate() -> None:
    s = score(TRUTH, PREDICTED, COMPANIONS, CATS)
    assert s.strict_micro == Counts(3, 3, 2)
    assert s.strict_micro.f1 == pytest.approx(6 / 11)
    assert (s.clean_flagged, s.clean_total) == (1, 2)
    assert s.clean_flag_rate == 0.5
    assert score(TRUTH, PREDICTED, frozenset(), CATS).micro == Counts(3, 3, 2)


def test_empty_and_mismatched() -> None:
    assert score([], [], categories=CATS).micro.f1 == 0.0
    with pytest.raises(ValueError, match="rows"):
        score([("a",)], [], categories=CATS)


def test_the_live_reader_is_scored_beside_the_scans_reader_on_the_same_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from benchmarks.claims import asr_noisy, evaluate
    from benchmarks.claims.asr_noisy import text_key, transcript_path
    from benchmarks.claims.corpus import load_corpus

    monkeypatch.setenv("LIVEMON_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(asr_noisy, "COMMITTED_DIR", tmp_path / "committed")
    records = load_corpus("test")[:6]
    assert transcript_path("window") != transcript_path("transcribe")
    for reader, heard in (("window", lambda t: t), ("transcribe", lambda t: "嗯" * len(t))):
        rows = [{"key": text_key(r.text), "text": heard(r.text), "raw_text": heard(r.text)} for r in records]
        lines = [json.dumps(row, ensure_ascii=False) for row in rows[: 4 if reader == "window" else 6]]
        transcript_path(reader).write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = evaluate.main(["--condition", "asr-live", "--out", str(tmp_path / "out")])
    assert result["records"] == 4 and result["split_records"] == len(load_corpus("test"))
    systems = result["systems"]
    assert set(systems) == {"rules", "rules (baseline: scan's reader)"}
    assert systems["rules (baseline: scan's reader)"]["clean_flagged"] == 0  # "嗯嗯嗯" claims nothing
    assert (tmp_path / "out" / "claims_asr-live.md").is_file()


def test_published_transcripts_are_read_on_a_machine_with_an_empty_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from benchmarks.claims import asr_noisy
    from benchmarks.claims.corpus import load_corpus

    monkeypatch.setenv("LIVEMON_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(asr_noisy, "COMMITTED_DIR", tmp_path / "committed")
    records = load_corpus("test")[:3]
    rows = [{"key": asr_noisy.text_key(r.text), "text": r.text, "raw_text": r.text} for r in records]
    asr_noisy.transcript_path().write_text("".join(json.dumps(row) + "\n" for row in rows[:2]), encoding="utf-8")
    assert asr_noisy.publish() == 2
    monkeypatch.setenv("LIVEMON_CACHE", str(tmp_path / "fresh"))
    heard = asr_noisy.load_transcripts(records)
    assert set(heard) == {records[0].id, records[1].id}
    assert asr_noisy.transcribe_records(records[:2]) == 0  # published ones are not voiced again


def test_voiced_audio_is_kept_and_read_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from benchmarks.claims import asr_noisy

    monkeypatch.setenv("LIVEMON_CACHE", str(tmp_path))
    calls: list[str] = []

    class Voice:
        def synthesize(self, text: str) -> np.ndarray:
            calls.append(text)
            return np.linspace(-0.5, 0.5, 1600, dtype=np.float32)

    first = asr_noisy.voiced_audio("今天全场五折", Voice())  # type: ignore[arg-type]
    again = asr_noisy.voiced_audio("今天全场五折", Voice())  # type: ignore[arg-type]
    assert calls == ["今天全场五折"]
    assert np.allclose(first, again, atol=1e-4)
