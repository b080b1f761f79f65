"""Reproducible synthetic live-room media with ground truth, for tests and benchmarks.

``demo_stream()`` gives the default ~70 s demo room (mp4 + truth json), generated once into
``$LIVEMON_CACHE`` (default ``~/.cache/livemon``); ``build_stream(script, name)`` does the same
for any :class:`Script`; ``bad_inputs()`` gives broken and one-sided files for decoder tests.
"""

from benchmarks.media.bad_inputs import BadInputs, build_bad_inputs
from benchmarks.media.build import GENERATOR_VERSION, GeneratedStream, render_stream
from benchmarks.media.cache import bad_inputs, build_stream, demo_stream
from benchmarks.media.render import VideoOptions
from benchmarks.media.script import Beat, Script, demo_script
from benchmarks.media.truth import BeatTruth, StreamTruth
from benchmarks.media.tts import MandarinTTS

__all__ = [
    "GENERATOR_VERSION",
    "BadInputs",
    "Beat",
    "BeatTruth",
    "GeneratedStream",
    "MandarinTTS",
    "Script",
    "StreamTruth",
    "VideoOptions",
    "bad_inputs",
    "build_bad_inputs",
    "build_stream",
    "demo_script",
    "demo_stream",
    "render_stream",
]
