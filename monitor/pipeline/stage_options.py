"""Each stage's options, built from the scan options in one place (scan, rescan and watch alike)."""

from __future__ import annotations

from monitor.config import ScanOptions
from monitor.media.decode import DecodeOptions
from monitor.observations.text_gate import TextGateOptions

__all__ = ["decode_options", "text_gate_options"]


def decode_options(options: ScanOptions, *, audio: bool, video: bool, faces: bool = False) -> DecodeOptions:
    """How to decode: frame sampling, the maximum duration, and the dense frames faces need."""
    return DecodeOptions(
        frame_interval=options.frame_interval,
        scene_threshold=options.scene_threshold,
        max_duration=options.max_duration,
        audio=audio,
        video=video,
        keyframes_only=options.keyframes_only,
        dense_interval=1.0 / options.face_fps if faces else None,
        dense_window=options.face_window,
        dense_period=options.face_period,
    )


def text_gate_options(options: ScanOptions) -> TextGateOptions:
    """When OCR may skip a frame whose text regions did not change."""
    return TextGateOptions(enabled=options.text_gate, refresh_every=options.ocr_refresh)
