"""ASR prompts as data (``prompts/asr``): every vertical loads, names resolve, bad files are one clear error,
and segments that only repeat a prompt are dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.observations.asr_prompt import (
    LEGACY_PROMPT,
    PROMPTS,
    AsrPrompts,
    load_asr_prompts,
)
from monitor.observations.prompt_echo import drop_echoes, is_echo
from monitor.observations.types import TranscriptSegment

REQUIRED = {"default", "cosmetics", "health_food", "tea", "apparel", "jewellery", "electronics", "food"}


@pytest.fixture(scope="module")
def prompts() -> AsrPrompts:
    return load_asr_prompts()


def test_every_required_vertical_has_a_prompt_with_a_version(prompts: AsrPrompts) -> None:
    assert REQUIRED <= set(prompts.verticals)
    for vertical in prompts.verticals:
        own = prompts.own(vertical)
        assert own.text and own.version and own.ref == f"{vertical}@{own.version}"


def test_the_default_prompt_is_the_sentence_livemon_read_with_before(prompts: AsrPrompts) -> None:
    default = prompts.for_vertical(None)
    assert (default.ref, default.digest) == (LEGACY_PROMPT.ref, LEGACY_PROMPT.digest)


def test_every_prompt_fits_whisper_context(prompts: AsrPrompts) -> None:
    """Hotwords and prompt together stay well inside the 223 tokens Whisper reads before the audio."""
    from tokenizers import Tokenizer

    from monitor.engines.whisper_weights import resolve_asr_model

    tokenizer = Tokenizer.from_file(str(Path(resolve_asr_model("embedded:base")) / "tokenizer.json"))
    for vertical in prompts.verticals:
        own = prompts.own(vertical)
        context = " ".join([*own.hotwords, own.text])
        assert len(tokenizer.encode(" " + context).ids) <= 150, vertical


@pytest.mark.parametrize(
    ("name", "vertical"),
    [("tea", "tea"), ("茶叶", "tea"), ("美妆护肤", "cosmetics"), ("Beauty", "cosmetics"), ("翡翠", "jewellery"),
     ("数码电子", "electronics"), ("保健品", "health_food"), (None, "default"), ("", "default"), ("  ", "default")],
)
def test_a_vertical_is_found_by_id_chinese_name_or_alias(prompts: AsrPrompts, name: str | None, vertical: str) -> None:
    assert prompts.lookup(name) == vertical


def test_an_unknown_vertical_is_one_clear_error_naming_the_choices(prompts: AsrPrompts) -> None:
    with pytest.raises(ConfigError, match=r"未知的行业（vertical）'cars'.*tea（茶叶）"):
        prompts.for_vertical("cars")


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "asr"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


DEFAULT = 'id = "default"\nname = "通用"\nversion = "1"\nprompt = "以下是普通话直播带货的内容。"\n'
TEA = 'id = "tea"\nname = "茶叶"\nversion = "2"\nprompt = "以下是普通话茶叶直播带货的内容。"\nhotwords = ["普洱"]\n'


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"tea.toml": TEA}, "no default.toml"),
        ({"default.toml": DEFAULT, "tea.toml": "id = 'tea'\nname = "}, "tea.toml: cannot read it"),
        ({"default.toml": DEFAULT, "tea.toml": TEA.replace('version = "2"\n', "")}, "key version: Field required"),
        ({"default.toml": DEFAULT, "tea.toml": TEA + "colour = 1\n"}, "key colour: Extra inputs"),
        ({"default.toml": DEFAULT, "tea.toml": TEA.replace('"普洱"', '"  "')}, "key hotwords: Value error, empty"),
        ({"default.toml": DEFAULT, "oolong.toml": TEA}, "id 'tea' must match the file name 'oolong'"),
        ({"default.toml": DEFAULT, "tea.toml": TEA.replace("以下是", "以下是" * 40)}, "at most 120"),
        ({"default.toml": DEFAULT, "tea.toml": TEA + 'fallback = "coffee"\n'}, "fallback 'coffee' is not a vertical"),
        ({"default.toml": DEFAULT, "tea.toml": TEA + 'aliases = ["通用"]\n'}, "'通用' names both"),
    ],
    ids=["no-default", "bad-toml", "missing-field", "extra-field", "blank-hotword", "id-mismatch", "too-long",
         "unknown-fallback", "duplicate-name"],
)
def test_a_malformed_prompt_folder_is_one_clear_error(tmp_path: Path, files: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_asr_prompts(_folder(tmp_path, files))


def test_a_vertical_that_falls_back_gets_the_other_prompt_and_keeps_its_name(tmp_path: Path) -> None:
    prompts = load_asr_prompts(_folder(tmp_path, {"default.toml": DEFAULT, "tea.toml": TEA + 'fallback = "default"\n'}))
    chosen = prompts.for_vertical("茶叶")
    assert (chosen.ref, chosen.vertical) == ("default@1", "tea")
    assert chosen.provenance() == {"asr_prompt": "default@1", "vertical": "tea"}
    assert prompts.own("tea").ref == "tea@2"  # still there to be measured again


def test_the_packaged_folder_is_the_repository_prompts() -> None:
    assert PROMPTS.resolve() == (Path(__file__).parents[2] / "prompts" / "asr").resolve()


TEA_PROMPT = load_asr_prompts().own("tea")


@pytest.mark.parametrize(
    ("text", "echo"),
    [
        ("以下是普通话茶叶直播带货的内容", True),
        ("以下是普通话直播带货的内容。", True),  # the default's clause, under another vertical's prompt too
        ("普洱，龙井，铁观音。", True),
        ("普洱龙井", True),
        ("家人们，宝宝们，上链接", False),  # what hosts say
        ("这款普洱是古树茶，喝了降血压", False),  # a claim that names a hotword
        ("普洱", False),
        ("", False),
    ],
)
def test_an_echo_of_the_prompt_is_told_from_speech(text: str, echo: bool) -> None:
    assert is_echo(text, TEA_PROMPT) is echo


def test_echoes_are_dropped_and_speech_kept() -> None:
    said = TranscriptSegment(0.0, 2.0, "这款普洱喝了能降三高")
    echo = TranscriptSegment(2.0, 4.0, "以下是普通话茶叶直播带货的内容")
    assert drop_echoes([said, echo], TEA_PROMPT) == [said]


def test_no_prompt_leads_whisper_towards_a_claim_word() -> None:
    """Hotwords are product words, never claim words: a prompt must not push Whisper towards a violation."""
    claim_words = ("最", "第一", "治疗", "根治", "国家级", "特效", "包治", "全网最低")
    for path in sorted(PROMPTS.glob("*.toml")):
        own = load_asr_prompts().own(path.stem)
        words = json.dumps([own.text, list(own.hotwords)], ensure_ascii=False)
        assert not any(w in words for w in claim_words), path.name
