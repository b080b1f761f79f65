"""Which options each stage depends on, and the keys stored records are found by.

A stage's key is the hash of its version and of the options (and model files) that change
its output. A rescan reuses a stored stage whose key matches; changing the ASR model changes
only the speech key, the frame interval only the screen key, a rule pack only the detector key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from monitor import __version__
from monitor.config import ScanOptions
from monitor.detectors.claims import ClaimEngine
from monitor.detectors.claims.engine import pack_folder
from monitor.observations.asr_prompt import LEGACY_PROMPT, load_asr_prompts

__all__ = [
    "DETECTOR_OPTIONS",
    "RUNTIME_OPTIONS",
    "STAGE_OPTIONS",
    "STAGE_VERSIONS",
    "TURNS_VERSION",
    "detector_key",
    "file_digest",
    "live_stage_key",
    "stage_key",
]

STAGE_OPTIONS: Mapping[str, tuple[str, ...]] = {
    "screen": (
        "frame_interval", "scene_threshold", "max_duration", "keyframes_only", "screen", "ocr_det_side", "text_gate",
        "ocr_refresh", "faces", "face_fps", "face_window", "face_period", "forgery_model",
    ),
    "speech": (
        "asr_engine", "asr_model", "compute_type", "beam_size", "asr_batch_size", "asr_chunk_seconds", "max_duration",
        "speech", "speaker_turns",
    ),
}
DETECTOR_OPTIONS = ("classifier", "rule_packs", "allow_list", "min_confidence", "dh_gap", "dh_threshold", "room_meta")
RUNTIME_OPTIONS = (
    "open_timeout", "device", "stall_timeout", "reconnect_outage", "allowed_protocols", "allowed_hosts",
    "max_redirects", "max_playlist_bytes",
)
"""Options that change how a scan runs, not what it finds."""
STAGE_VERSIONS: Mapping[str, int] = {"screen": 2, "speech": 1}
TURNS_VERSION = "resemblyzer-ge2e-0.1.4/turns-1"
"""The speaker-turn stage's version inside the speech key: bump when the turns it records change."""
"""Bump when a stage's code changes what it records: stored records of the old version are then made again.
screen 2: faces are searched in full-size frames (boxes in frame pixels, not 320 px ones)."""


def _hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def file_digest(path: Path, chunk: int = 1 << 20) -> str:
    """sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _files_digest(paths: tuple[Path, ...] | list[Path]) -> dict[str, str]:
    found: dict[str, str] = {}
    for root in paths:
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        found.update({str(f): file_digest(f) for f in files if f.is_file()})
    return found


def stage_key(stage: str, options: ScanOptions) -> str:
    """The key of ``stage``'s record under ``options``."""
    chosen = {name: getattr(options, name) for name in STAGE_OPTIONS[stage]}
    if chosen.get("asr_batch_size") == 0:  # window by window, as before the option: older records still match
        del chosen["asr_batch_size"]
    if "speaker_turns" in chosen:  # off: records made before speaker turns still match; on: the turns' version
        if chosen["speaker_turns"]:
            chosen["speaker_turns"] = TURNS_VERSION
        else:
            del chosen["speaker_turns"]
    if stage == "screen" and options.forgery_model is not None and options.forgery_model.is_file():
        chosen["forgery_model"] = file_digest(options.forgery_model)
    if stage == "speech":
        chosen.update(_prompt_key(options))
    return _hash({"stage": stage, "version": STAGE_VERSIONS[stage], "options": chosen})


def _prompt_key(options: ScanOptions) -> dict[str, str]:
    """The ASR prompt a speech record is made with, by reference and content. The prompt livemon used before
    prompts were data (``default@1``, no hotwords) adds nothing: records made then keep their keys."""
    prompt = load_asr_prompts().for_vertical(options.vertical)
    if prompt.ref == LEGACY_PROMPT.ref and prompt.digest == LEGACY_PROMPT.digest:
        return {}
    return {"asr_prompt": prompt.ref, "asr_prompt_digest": prompt.digest}


def live_stage_key(stage: str, options: ScanOptions) -> str:
    """The key of ``stage``'s record made by ``watch`` (utterances read in a short window, frames as they come;
    no speaker turns)."""
    return _hash({"live": stage_key(stage, options.model_copy(update={"speaker_turns": False}))})


def detector_key(options: ScanOptions, claims: ClaimEngine, room_meta: Path | None) -> str:
    """The key of the detectors' settings: rule packs and allow-list by content, classifier, thresholds, room data."""
    chosen = {name: getattr(options, name) for name in DETECTOR_OPTIONS if name != "room_meta"}
    return _hash({
        "livemon": __version__,
        "options": chosen,
        "claims": claims.provenance(),
        "packs": _files_digest([pack_folder(p) for p in options.rule_packs]),
        "allow_list": _files_digest([options.allow_list]) if options.allow_list else {},
        "room_meta": _files_digest([room_meta]) if room_meta else {},
    })
