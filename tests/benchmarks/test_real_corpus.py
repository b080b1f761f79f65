"""The real-language claims corpus: quoted lines with addresses, split by source without leaks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.claims.corpus import CATEGORIES, CorpusError, normalise_for_dedup
from benchmarks.claims.real.corpus import build, deal, load_real, site_of, unique


def _row(text: str, url: str, label: str = "violating", categories: tuple[str, ...] = ("absolute_terms",)) -> dict:
    return {"text": text, "url": url, "label": label, "categories": list(categories), "source_kind": "guide"}


def test_shipped_corpus_has_the_promised_size_and_fields() -> None:
    lines = unique(load_real())
    violating = [x for x in lines if x.label == "violating"]
    compliant = [x for x in lines if x.label == "compliant"]
    # the target is 1,000 and 500 distinct lines; the datasheet says how far short this is
    assert len(violating) >= 950 and len(compliant) >= 340
    for line in lines:
        assert line.url.startswith(("http://", "https://")) and line.text.strip()
        assert all(c in CATEGORIES for c in line.categories)
        assert (line.label == "violating") == bool(line.categories)
    assert {c for x in violating for c in x.categories} == set(CATEGORIES)


def test_no_line_sits_in_both_splits_and_test_sites_hold_only_test_lines() -> None:
    train, test = load_real("train"), load_real("test")
    assert not {normalise_for_dedup(x.text) for x in train} & {normalise_for_dedup(x.text) for x in test}
    assert 0.2 <= len(unique(test)) / len(unique(train + test)) <= 0.5


def test_site_of_groups_pages_by_registrable_domain() -> None:
    assert site_of("https://m.book118.com/html/1.shtm") == "book118.com"
    assert site_of("https://www.samr.gov.cn/xw/1.html") == "samr.gov.cn"
    assert site_of("http://sh.people.com.cn/n2/1.html") == "people.com.cn"
    assert site_of("http://202.62.215.15/a/1.html") == "202.62.215.15"
    assert site_of("https://github.com/Some-One/lists/blob/abc/rules.md") == "github.com/some-one"
    assert site_of("https://github.com/some-one/other/blob/abc/x.md") == site_of("https://github.com/some-one/lists")
    assert site_of("https://raw.githubusercontent.com/some-one/lists/abc/x.md") == "github.com/some-one"


def _site(split: str) -> str:
    urls = (f"https://{split}{i}.cn/p" for i in range(1000))
    return next(url for url in urls if deal([_row("x", url)], {}) == [split])


def test_a_line_quoted_on_a_test_site_is_a_test_line_everywhere() -> None:
    rows = [_row("全网最低价", _site("train")), _row("全网最低价", _site("test")), _row("别的话", _site("train"))]
    assert deal(rows, {}) == ["test", "test", "train"]


def test_rebuild_keeps_splits_and_new_quotes_follow_their_line(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    corpus = tmp_path / "corpus.jsonl"
    first = [_row(f"第{i}句绝对第一", f"https://s{i}.cn/p") for i in range(30)]
    (raw / "a.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in first), encoding="utf-8")
    before = {x.id: x.split for x in build(raw, corpus)}
    assert set(before.values()) == {"train", "test"}
    (raw / "b.jsonl").write_text(json.dumps(_row("新的一句话好评如潮", "https://new.cn/x")) + "\n", encoding="utf-8")
    after = {x.id: x.split for x in build(raw, corpus)}
    assert {k: after[k] for k in before} == before and len(after) == 31
    train_line = next(x for x in load_real("train", corpus=corpus))
    copy = json.dumps(_row(train_line.text, _site("test")), ensure_ascii=False)
    (raw / "c.jsonl").write_text(copy + "\n", encoding="utf-8")
    copies = [x for x in build(raw, corpus) if x.text == train_line.text]
    assert len(copies) == 2 and {x.split for x in copies} == {"train"}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (_row("全网最低价", "ftp://x.cn/a"), "url must be an http"),
        (_row("全网最低价", "https://x.cn/a", label="bad"), "label must be"),
        (_row("全网最低价", "https://x.cn/a", categories=("nonsense",)), "categories must be"),
        (_row("全网最低价", "https://x.cn/a", label="compliant"), "a violating line needs a category"),
    ],
)
def test_a_bad_shard_line_is_named(tmp_path: Path, row: dict, message: str) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "s.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=f"s.jsonl:1: {message}"):
        build(raw, tmp_path / "corpus.jsonl")
