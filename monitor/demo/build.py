"""Turn a :class:`Script` into a media file plus its ground-truth JSON."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from monitor.demo.mux import write_media
from monitor.demo.render import Scene, VideoOptions
from monitor.demo.script import Script
from monitor.demo.truth import BeatTruth, StreamTruth
from monitor.demo.tts import SAMPLE_RATE, MandarinTTS

__all__ = ["GENERATOR_VERSION", "GeneratedStream", "render_stream"]

GENERATOR_VERSION = "1"
"""Bump when output changes for the same script, so cached media is rebuilt."""


@dataclass(frozen=True, slots=True)
class GeneratedStream:
    """A generated media file and its ground-truth JSON."""

    path: Path
    truth: Path

    def load_truth(self) -> StreamTruth:
        return StreamTruth.load(self.truth)


def render_stream(
    script: Script,
    path: Path,
    *,
    name: str = "",
    options: VideoOptions = VideoOptions(),
    tts: MandarinTTS | None = None,
    audio: bool = True,
    video: bool = True,
) -> GeneratedStream:
    """Write ``path`` and ``path.with_suffix('.json')``; ``audio``/``video`` pick the tracks."""
    if any(b.say for b in script.beats) and tts is None:
        tts = MandarinTTS(script.voice)
    clips = [tts.synthesize(b.say) if (tts and b.say) else np.zeros(0, np.float32) for b in script.beats]
    truth = _place(script, clips, name or path.stem, options, audio, video)
    pcm = np.zeros(round(truth.duration * SAMPLE_RATE), np.float32)
    for beat, clip in zip(truth.beats, clips, strict=True):
        if beat.speech_start is not None:
            at = round(beat.speech_start * SAMPLE_RATE)
            pcm[at : at + len(clip)] = clip[: len(pcm) - at]
    frame_at = _frames(script, truth, pcm, options) if video else None
    write_media(
        path,
        duration=truth.duration,
        audio=pcm if audio else None,
        sample_rate=SAMPLE_RATE,
        frame_at=frame_at,
        fps=options.fps,
        title=f"livemon synthetic stream {truth.name}",
    )
    truth_path = path.with_suffix(".json")
    truth.save(truth_path)
    return GeneratedStream(path, truth_path)


def _place(
    script: Script, clips: list[np.ndarray], name: str, options: VideoOptions, audio: bool, video: bool
) -> StreamTruth:
    """Lay beats end to end after the lead-in; the total is rounded up to a whole video frame."""
    t = script.lead_in
    beats = []
    for i, (beat, clip) in enumerate(zip(script.beats, clips, strict=True)):
        speech = len(clip) / SAMPLE_RATE
        end = t + speech + beat.pause
        beats.append(
            BeatTruth(
                index=i,
                start=round(t, 3),
                end=round(end, 3),
                speech_start=round(t, 3) if speech else None,
                speech_end=round(t + speech, 3) if speech else None,
                say=beat.say,
                screen=beat.screen,
                speech_labels=beat.speech_labels,
                screen_labels=beat.screen_labels,
            )
        )
        t = end
    return StreamTruth(
        name=name,
        generator_version=GENERATOR_VERSION,
        script_digest=script.digest(),
        duration=math.ceil(round(t * options.fps, 6)) / options.fps,
        has_audio=audio,
        has_video=video,
        width=options.width if video else 0,
        height=options.height if video else 0,
        fps=options.fps if video else 0,
        voice=script.voice,
        shop=script.shop,
        beats=tuple(beats),
    )


def _frames(
    script: Script, truth: StreamTruth, pcm: np.ndarray, options: VideoOptions
) -> Callable[[int], np.ndarray]:
    """A frame callback: the overlay of the beat on screen, the mouth opened by speech loudness."""
    scene = Scene(options, script.shop)
    starts = [b.start for b in truth.beats]
    edges = (np.arange(round(truth.duration * options.fps)) * SAMPLE_RATE / options.fps).astype(int)
    energy = np.add.reduceat(pcm.astype(np.float64) ** 2, edges) / np.diff(edges, append=len(pcm)).clip(1)
    rms = np.sqrt(energy)
    mouth = np.clip(rms / max(1e-6, float(np.percentile(rms, 95))), 0.0, 1.0)

    def frame_at(i: int) -> np.ndarray:
        t = i / options.fps
        k = bisect.bisect_right(starts, t) - 1
        screen = truth.beats[k].screen if k >= 0 and t < truth.beats[k].end else ()
        return scene.frame(t, screen, float(mouth[i]))

    return frame_at
