from pathlib import Path

import pytest

from monitor.config import load_options
from monitor.errors import ConfigError


def test_defaults_are_documented_values() -> None:
    options = load_options()
    assert options.frame_interval == 1.0
    assert options.asr_model == "embedded:base"


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        ("frame_intervall: 2\n", ".yaml", "unknown config key 'frame_intervall'.*did you mean 'frame_interval'"),
        ("frame_interval = -1\n", ".toml", "bad value for key frame_interval"),
        ("device: tpu\n", ".yaml", "bad value for key device"),
        ("- a\n- b\n", ".yaml", "must hold a mapping"),
        ("frame_interval: [\n", ".yaml", "cannot parse config file"),
    ],
)
def test_bad_config_files_give_one_clear_error(tmp_path: Path, content: str, suffix: str, message: str) -> None:
    path = tmp_path / f"cfg{suffix}"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_options(path)


def test_config_file_then_flags(tmp_path: Path) -> None:
    path = tmp_path / "cfg.toml"
    path.write_text("frame_interval = 2.0\nbeam_size = 3\n")
    options = load_options(path, beam_size=1, device=None)
    assert (options.frame_interval, options.beam_size, options.device) == (2.0, 1, "auto")


def test_missing_config_file() -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_options(Path("/nonexistent/livemon.yaml"))


@pytest.mark.parametrize("engine", ["faster-whisper", "torch"])
def test_cuda_asked_without_cuda_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, engine: str) -> None:
    from monitor.pipeline import engines

    monkeypatch.setattr(engines, "cuda_available", lambda runtime: False)
    with pytest.raises(ConfigError, match=f"{engine} sees no CUDA device"):
        engines.build_engines(load_options(device="cuda", asr_engine=engine))


@pytest.mark.parametrize("value", ["-1", "65", "eight", "2.5"])
def test_asr_batch_size_is_validated(tmp_path: Path, value: str) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_text(f"asr_batch_size: {value}\n")
    with pytest.raises(ConfigError, match="bad value for key asr_batch_size"):
        load_options(path)


def test_asr_batch_size_is_part_of_the_speech_stage_key_only() -> None:
    from monitor.pipeline.stage_keys import STAGE_VERSIONS, _hash, stage_key

    keys = {n: (stage_key("speech", options), stage_key("screen", options))
            for n in (0, 8, 16) if (options := load_options(asr_batch_size=n))}
    assert len({speech for speech, _ in keys.values()}) == 3  # a rescan with another batch size transcribes again
    assert len({screen for _, screen in keys.values()}) == 1  # and decodes no video for it
    # window by window (0) keys as records made before the option existed, so they are still found (with speaker
    # turns off: records made before them have none, so with turns on the speech stage is made again)
    options = load_options(asr_batch_size=0, speaker_turns=False)
    before = ("asr_engine", "asr_model", "compute_type", "beam_size", "asr_chunk_seconds", "max_duration", "speech")
    old = _hash({"stage": "speech", "version": STAGE_VERSIONS["speech"],
                 "options": {name: getattr(options, name) for name in before}})
    assert stage_key("speech", options) == old
    assert keys[0][0] != old
