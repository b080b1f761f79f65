"""Which ASR prompt a room gets, and where that shows: the speech stage's key, the record, the provenance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.config import ScanOptions, load_options
from monitor.detectors.digital_human import RoomMeta, load_room_meta
from monitor.errors import ConfigError
from monitor.media.types import MediaInfo
from monitor.observations.record import SpeechRecord, StreamRecord, dump_json, load_json
from monitor.pipeline.asr_prompts import room_options, scan_prompt
from monitor.pipeline.stage_keys import stage_key

# The speech key of default options before prompts were data and speaker turns (livemon at bba420c): records
# made then still match when turns are off (turns on is a new record: docs/speaker-turns.md).
LEGACY_SPEECH_KEY = "adf3285b427f568426aecf0dd52e5552a7519ce002e49f697f76a4bd907202ab"


def test_the_default_prompt_keeps_the_speech_key_records_were_stored_under() -> None:
    assert stage_key("speech", ScanOptions(speaker_turns=False)) == LEGACY_SPEECH_KEY


def test_a_vertical_changes_the_speech_key_only() -> None:
    tea, default = ScanOptions(vertical="tea"), ScanOptions()
    assert stage_key("speech", tea) != stage_key("speech", default)
    assert stage_key("screen", tea) == stage_key("screen", default)
    assert stage_key("speech", ScanOptions(vertical="茶叶")) == stage_key("speech", tea)  # one vertical, one key


def test_the_flag_and_config_take_a_vertical_by_any_of_its_names(tmp_path: Path) -> None:
    assert load_options(vertical="珠宝玉石").vertical == "jewellery"
    config = tmp_path / "livemon.toml"
    config.write_text('vertical = "数码电子"\n', encoding="utf-8")
    assert load_options(config).vertical == "electronics"
    with pytest.raises(ConfigError, match="未知的行业"):
        load_options(vertical="汽车")


@pytest.mark.parametrize(
    ("flag", "meta", "chosen"),
    [(None, None, "default"), (None, "茶叶", "tea"), ("food", "茶叶", "food"), (None, "", "default")],
    ids=["nothing", "room-metadata", "flag-wins", "blank-metadata"],
)
def test_the_flag_comes_first_then_the_room_metadata(flag: str | None, meta: str | None, chosen: str) -> None:
    room = RoomMeta(title="直播间", vertical=meta) if meta is not None else None
    prompt = scan_prompt(room_options(ScanOptions(vertical=flag), room))
    assert prompt.vertical == chosen and prompt.ref.startswith(chosen)


def test_room_metadata_with_an_unknown_vertical_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "room.json"
    path.write_text(json.dumps({"room_id": "r1", "vertical": "二手车"}, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"room metadata 'r1'.*未知的行业"):
        room_options(ScanOptions(), load_room_meta(path))


INFO = MediaInfo(source="room.mp4", duration=4.0, has_audio=True, has_video=False)


def test_a_record_names_its_prompt_and_one_made_before_prompts_were_data_reads_as_default_1() -> None:
    made = StreamRecord(INFO, speech=SpeechRecord(asr="faster-whisper:embedded:base:int8", prompt="tea@1",
                                                  vertical="tea"))
    assert load_json(StreamRecord, dump_json(made)).models["asr_prompt"] == "tea@1"
    old = json.loads(dump_json(made))
    del old["speech"]["prompt"], old["speech"]["vertical"]
    models = load_json(StreamRecord, json.dumps(old)).models
    assert (models["asr_prompt"], models["vertical"]) == ("default@1", "default")
    assert StreamRecord(INFO).models["asr_prompt"] is None  # no speech stage, no prompt
