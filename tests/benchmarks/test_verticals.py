"""Corpus sentences tagged to a vertical by the products they name, with a taxonomy apart from the hotwords."""

from __future__ import annotations

import pytest

from benchmarks.claims.corpus import Record
from benchmarks.claims.verticals import TAXONOMY, hotword_share, tag, tagged
from monitor.observations.asr_prompt import load_asr_prompts


@pytest.mark.parametrize(
    ("text", "vertical"),
    [
        ("这款面霜用了皱纹全没了", "cosmetics"),
        ("宝宝们这个普洱是三十年的老茶", "tea"),
        ("这只翡翠手镯是冰种的", "jewellery"),
        ("家人们晚上好", None),  # names no product
        ("买手机送耳机，再送一盒零食", None),  # two verticals: left out
    ],
)
def test_a_sentence_gets_the_one_vertical_whose_products_it_names(text: str, vertical: str | None) -> None:
    assert tag(text) == vertical


def test_records_are_grouped_and_the_hotword_bias_is_measured() -> None:
    records = [Record(f"r{i}", text, (), "negative", "test") for i, text in
               enumerate(["这个普洱很好喝", "这款白茶很香", "这件羽绒服很暖和"])]
    groups = tagged(records)
    assert [r.id for r in groups["tea"]] == ["r0", "r1"] and [r.id for r in groups["apparel"]] == ["r2"]
    assert hotword_share(groups["tea"], ("普洱",)) == 0.5 and hotword_share([], ("普洱",)) == 0.0


def test_the_taxonomy_is_not_the_hotword_list() -> None:
    """Each list has words the other lacks; the words both hold are the bias the results state (hotword share)."""
    prompts = load_asr_prompts()
    for vertical, nouns in TAXONOMY.items():
        hotwords = set(prompts.own(vertical).hotwords)
        assert set(nouns) - hotwords and hotwords - set(nouns), vertical
