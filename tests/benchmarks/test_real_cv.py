"""Grouped checks of the packs on the real TRAIN split: folds by site, dev folds never read."""

from __future__ import annotations

from benchmarks.claims.real.corpus import Line, load_real
from benchmarks.claims.real.cv import DEV_FOLDS, FOLDS, credited, fold_of, reading_lines
from monitor.detectors.claims import ClaimEngine, ClaimHit


def _line(text: str, url: str, categories: tuple[str, ...] = ("absolute_terms",)) -> Line:
    return Line(id=url + text, text=text, label="violating" if categories else "compliant",
                categories=categories, url=url, title="", source_kind="guide", date=None, split="train")


def test_folds_are_stable_per_site_and_cover_all() -> None:
    sites = [f"site{i}.com" for i in range(200)]
    assert [fold_of(s) for s in sites] == [fold_of(s) for s in sites]
    assert {fold_of(s) for s in sites} == set(range(FOLDS))


def test_reading_lines_leave_out_test_and_dev_sites() -> None:
    lines = load_real()
    readable = reading_lines(lines)
    assert readable and all(line.split == "train" for line in readable)
    assert all(fold_of(line.site) not in DEV_FOLDS for line in readable)


def test_a_word_only_one_fold_uses_earns_no_credit() -> None:
    engine = ClaimEngine.load()
    by_fold: dict[int, str] = {}
    for i in range(100):
        by_fold.setdefault(fold_of(f"s{i}.com"), f"http://s{i}.com/p")
    (a, b) = sorted(by_fold)[:2]
    lines = [_line("全网最低价", by_fold[a]), _line("全网最低价", by_fold[b]), _line("国家级", by_fold[a])]
    hits = engine.check_many([line.text for line in lines])
    got = credited(engine, lines, hits)
    assert "absolute_terms" in got[0] and "absolute_terms" in got[1]  # the same keyword on two folds
    assert got[2] == set()  # 国家级 only on fold a: no credit there


def test_classifier_hits_are_credited_as_they_are() -> None:
    engine = ClaimEngine.load()
    hit = ClaimHit("fake_data", "review", (0, 2), 0.7, "", "classifier:fake_data", "好评")
    assert credited(engine, [_line("好评", "http://a.com/x", ("fake_data",))], [[hit]]) == [{"fake_data"}]
