"""Shared fixtures: generated media (built once, cached) and models (loaded once per session)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from benchmarks.media.bad_inputs import BadInputs
from benchmarks.media.truth import StreamTruth
from monitor.config import ScanOptions, load_options

if TYPE_CHECKING:
    from monitor.pipeline.engines import Engines


@pytest.fixture(scope="session")
def demo() -> tuple[Path, StreamTruth]:
    """The demo live room (mp4) and its ground truth."""
    from benchmarks.media.cache import demo_stream

    video, truth = demo_stream()
    return video, StreamTruth.load(truth)


@pytest.fixture(scope="session")
def bad() -> BadInputs:
    from benchmarks.media.cache import bad_inputs

    return bad_inputs()


@pytest.fixture(scope="session")
def options() -> ScanOptions:
    return load_options()


@pytest.fixture(scope="session")
def engines(options: ScanOptions) -> Engines:
    """Whisper base (embedded), RapidOCR and the rule packs, loaded once."""
    from monitor.pipeline.engines import build_engines

    return build_engines(options)
