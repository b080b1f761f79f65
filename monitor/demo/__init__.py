"""Reproducible synthetic live-room media with ground truth, for tests and benchmarks.

``demo_stream()`` gives the default ~70 s demo room (mp4 + truth json), generated once into
``$LIVEMON_CACHE`` (default ``~/.cache/livemon``); ``build_stream(script, name)`` does the same
for any :class:`Script`; ``bad_inputs()`` gives broken and one-sided files for decoder tests.
"""

from monitor.demo.bad_inputs import BadInputs, build_bad_inputs
from monitor.demo.build import GENERATOR_VERSION, GeneratedStream, render_stream
from monitor.demo.cache import bad_inputs, build_stream, demo_stream
from monitor.demo.render import VideoOptions
from monitor.demo.script import Beat, Script, demo_script
from monitor.demo.truth import BeatTruth, StreamTruth
from monitor.demo.tts import MandarinTTS

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
