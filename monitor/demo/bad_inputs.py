"""Broken and one-sided inputs for decoder and pipeline tests, small and quick to build."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from monitor.demo.audio import write_wav
from monitor.demo.build import render_stream
from monitor.demo.render import VideoOptions
from monitor.demo.script import Beat, Script
from monitor.demo.tts import SAMPLE_RATE, MandarinTTS

__all__ = ["BadInputs", "build_bad_inputs", "fingerprint"]

SMALL = VideoOptions(width=320, height=180, fps=10)
_SPEECH = Beat(
    say="家人们好，这款茶是全网最低价。", speech_labels=("absolute_terms",), pause=0.5
)
_SCREEN = Beat(screen=("原价¥599", "直播价¥59"), screen_labels=("price_fraud",), pause=3.0)


@dataclass(frozen=True, slots=True)
class BadInputs:
    """Paths of the fixtures; one-sided and silent files have a ground-truth ``.json`` beside them."""

    empty: Path
    """0 bytes, named .mp4."""
    truncated: Path
    """The first 30% of a valid mp4 (its moov index, written last, is missing)."""
    random_bytes: Path
    """64 KiB of seeded random bytes, named .mp4."""
    audio_only: Path
    """AAC speech in .m4a with a planted claim, no video track."""
    video_only: Path
    """H.264 with a price-fraud overlay, no audio track."""
    silent_mp4: Path
    """Video and an all-zero AAC track, no overlay."""
    silent_wav: Path
    """3 s of 16 kHz digital silence."""

    @classmethod
    def in_folder(cls, folder: Path) -> BadInputs:
        """The fixture paths inside ``folder`` (nothing is written)."""
        return cls(
            empty=folder / "empty.mp4",
            truncated=folder / "truncated.mp4",
            random_bytes=folder / "random_bytes.mp4",
            audio_only=folder / "audio_only.m4a",
            video_only=folder / "video_only.mp4",
            silent_mp4=folder / "silent.mp4",
            silent_wav=folder / "silent.wav",
        )


def build_bad_inputs(folder: Path, tts: MandarinTTS | None = None) -> BadInputs:
    """Write every fixture into ``folder`` (created if needed) and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    out = BadInputs.in_folder(folder)
    out.empty.write_bytes(b"")
    out.random_bytes.write_bytes(np.random.default_rng(0).bytes(64 * 1024))
    render_stream(Script(beats=(_SPEECH,)), out.audio_only, options=SMALL, tts=tts, video=False)
    render_stream(Script(beats=(_SCREEN,)), out.video_only, options=SMALL, audio=False)
    render_stream(Script(beats=(Beat(pause=3.0),)), out.silent_mp4, options=SMALL)
    write_wav(out.silent_wav, np.zeros(3 * SAMPLE_RATE, np.float32), SAMPLE_RATE)
    valid = out.silent_mp4.read_bytes()
    out.truncated.write_bytes(valid[: int(len(valid) * 0.3)])
    return out


def fingerprint() -> str:
    """Everything in this module that shapes the fixtures, for cache keys."""
    return repr((_SPEECH, _SCREEN, SMALL))
