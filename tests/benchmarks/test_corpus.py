"""Checks of the claims corpus. Run with ``pytest benchmarks/claims``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.claims.corpus import (
    CATEGORIES,
    CorpusError,
    Record,
    assign_splits,
    check_corpus,
    count_table,
    load_corpus,
)


def test_shipped_corpus_is_valid_and_large_enough() -> None:
    records = load_corpus()  # validates
    assert sum(r.kind == "positive" for r in records) >= 1600
    assert sum(r.kind != "positive" for r in records) >= 1700
    table = count_table(records)
    for c in CATEGORIES:
        assert table[c]["test"] > 0


@pytest.mark.parametrize("split", ["train", "dev", "test"])
def test_split_filter(split: str) -> None:
    records = load_corpus(split)
    assert records and all(r.split == split for r in records)


def test_bad_split_name() -> None:
    with pytest.raises(ValueError, match="split must be"):
        load_corpus("validation")


def test_splits_are_deterministic() -> None:
    records = load_corpus()
    assert assign_splits(records) == assign_splits(list(reversed(records)))


def test_a_new_batch_never_moves_existing_records() -> None:
    records = load_corpus()
    first = [r for r in records if r.batch == 1]
    added = [
        Record(f"abs-{9000 + i}", f"新句子{i}", ("absolute_terms",), "positive", "train", batch=3)
        for i in range(20)
    ]
    before, after = assign_splits(first), assign_splits([*first, *added])
    assert all(after[r.id] == before[r.id] for r in first)
    assert sorted(after[r.id] for r in added).count("test") == 4


def _write(tmp: Path, rows: list[dict[str, object]]) -> Path:
    (tmp / "x.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return tmp


def _row(i: str, text: str, labels: list[str], kind: str) -> dict[str, object]:
    return {"id": i, "text": text, "labels": labels, "kind": kind, "split": "train"}


def _fix_splits(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    recs = [Record.from_json(r) for r in rows]
    sp = assign_splits(recs)
    return [{**r, "split": sp[str(r["id"])]} for r in rows]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([_row("abs-0001", "全网最低", ["absolute_terms"], "positive"),
          _row("abs-0002", "全网 最低！", ["absolute_terms"], "positive")], "duplicate text"),
        ([_row("abs-0001", "全网最低", ["absolute"], "positive")], "unknown labels"),
        ([_row("abs-0001", "全网最低", [], "positive")], "kind positive with labels"),
        ([_row("neg-chat-0001", "晚上好", ["absolute_terms"], "negative")], "kind negative with labels"),
        ([_row("med-0001", "全网最低", ["absolute_terms"], "positive")], "does not match first label"),
        ([_row("hneg-xyz-0001", "第一次来", [], "hard_negative")], "hneg-<tag>-NNNN"),
    ],
)
def test_check_corpus_rejects(tmp_path: Path, rows: list[dict[str, object]], message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        load_corpus(directory=_write(tmp_path, _fix_splits(rows)))


def test_wrong_stored_split_is_rejected(tmp_path: Path) -> None:
    rows = _fix_splits([_row("neg-chat-0001", "晚上好", [], "negative")])
    rows[0]["split"] = "test" if rows[0]["split"] != "test" else "dev"
    with pytest.raises(CorpusError, match="assign_splits says"):
        load_corpus(directory=_write(tmp_path, rows))


def test_counts_enforced_for_small_corpus() -> None:
    recs = [Record("neg-chat-0001", "晚上好", (), "negative", "train")]
    with pytest.raises(CorpusError, match="positives, expected at least"):
        check_corpus(recs)
    check_corpus(recs, check_counts=False)
