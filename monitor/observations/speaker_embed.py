"""Voice embeddings of short windows of audio: who is speaking, as a 256-d unit vector.

The encoder is Resemblyzer's GE2E speaker encoder (Apache-2.0): a 3-layer LSTM over 40-band
mel frames (25 ms, 10 ms hop), whose last hidden state goes through a linear layer, a ReLU and
an L2 norm. Its weights ship in the ``Resemblyzer`` wheel (``resemblyzer/pretrained.pt``);
livemon reads them without torch and runs them as an ONNX graph on onnxruntime
(:mod:`monitor.engines.ge2e_onnx`), so neither torch nor librosa nor webrtcvad (Resemblyzer's
audio front end) is needed: the mel filterbank is built here with librosa's formulas (Slaney
mel scale and area norm, periodic Hann window, centred zero-padded frames, power spectrum).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from monitor.errors import ModelError

__all__ = ["EMBED_DIM", "HOP", "N_FFT", "N_MELS", "Ge2eEncoder", "SpeakerEncoder", "mel_filterbank", "mel_frames"]

SAMPLE_RATE = 16_000
N_FFT = 400
"""25 ms windows."""
HOP = 160
"""10 ms between mel frames."""
N_MELS = 40
EMBED_DIM = 256
_NORM_DBFS = -30.0
"""Resemblyzer raises quiet audio to this level before its mel frames (never lowers it)."""


class SpeakerEncoder(Protocol):
    """Anything that turns batches of mel windows into unit-norm voice embeddings."""

    name: str

    def embed(self, windows: np.ndarray) -> np.ndarray:
        """(n, frames, N_MELS) float32 mel power → (n, EMBED_DIM) float32, each row of norm 1."""
        ...


@functools.lru_cache(maxsize=4)
def mel_filterbank(sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) triangular filters on the Slaney mel scale, area-normalised (librosa's default)."""

    def hz_to_mel(hz: np.ndarray) -> np.ndarray:
        mel = hz / (200.0 / 3)
        log = hz >= 1000.0
        return np.where(log, 15.0 + np.log(np.maximum(hz, 1e-9) / 1000.0) / (np.log(6.4) / 27.0), mel)

    def mel_to_hz(mel: np.ndarray) -> np.ndarray:
        hz = mel * (200.0 / 3)
        log = mel >= 15.0
        return np.where(log, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), hz)

    fft_hz = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    edges = mel_to_hz(np.linspace(hz_to_mel(np.array(0.0)), hz_to_mel(np.array(sample_rate / 2)), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


@functools.lru_cache(maxsize=1)
def _hann() -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)


def mel_frames(samples: np.ndarray) -> np.ndarray:
    """(frames, N_MELS) mel power of 16 kHz float32 audio, one frame per 10 ms, frames centred (zero padded)."""
    padded = np.pad(samples.astype(np.float32), N_FFT // 2)
    count = 1 + (len(padded) - N_FFT) // HOP
    if count <= 0:
        return np.zeros((0, N_MELS), np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP][:count] * _hann()
    power = (np.abs(np.fft.rfft(frames, axis=1)) ** 2).astype(np.float32)
    # einsum, not ``@``: a product this small is cheaper without BLAS, whose threads (OpenBLAS's, one per
    # core) would spin after every window on the cores Whisper decodes on (speaker turns at 0.17x the CPU,
    # python -m benchmarks.speed.turn_frames)
    return np.einsum("fk,mk->fm", power, mel_filterbank())


def loudness_gain(samples: np.ndarray) -> float:
    """The gain Resemblyzer applies before its mel frames: up to -30 dBFS, never down."""
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0
    if rms <= 0.0:
        return 1.0
    return max(1.0, 10 ** ((_NORM_DBFS - 20 * np.log10(rms)) / 20))


def _weights_path() -> Path:
    spec = find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "speaker turns need the Resemblyzer wheel's encoder weights: "
            "pip install --no-deps 'Resemblyzer==0.1.4' (or set speaker_turns: false)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"
    if not path.is_file():
        raise ModelError(f"the Resemblyzer encoder weights are missing: {path}")
    return path


class Ge2eEncoder:
    """Resemblyzer's GE2E encoder on onnxruntime (CPU, ``threads`` threads; ``None``: onnxruntime's own).

    Construction only checks that the weights are there; they are read and the graph built at the first
    :meth:`embed` (once, under a lock: :mod:`monitor.engines.ge2e_onnx`), so a scan does it on the thread
    that tells the turns, beside speech recognition, rather than before it starts. No torch is needed.
    """

    def __init__(self, *, threads: int | None = None, batch: int = 64) -> None:
        self._path = _weights_path()
        self.name = "resemblyzer-ge2e:0.1.4"
        self.batch = batch
        self.threads = threads
        self._lock = threading.Lock()
        self._session: Any = None

    def _loaded(self) -> Any:
        with self._lock:
            if self._session is None:
                import onnxruntime as ort

                from monitor.engines.ge2e_onnx import encoder_graph, read_state

                try:
                    graph = encoder_graph(read_state(self._path))
                except Exception as e:  # a damaged or changed weights file: one clear line
                    raise ModelError(f"cannot load the speaker encoder weights {self._path}: {e}") from e
                options = ort.SessionOptions()
                if self.threads is not None:
                    options.intra_op_num_threads = self.threads
                    options.inter_op_num_threads = 1
                self._session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
            return self._session

    def embed(self, windows: np.ndarray) -> np.ndarray:
        if not len(windows):
            return np.zeros((0, EMBED_DIM), np.float32)
        session = self._loaded()
        out = [session.run(None, {"mels": np.ascontiguousarray(windows[begin : begin + self.batch], np.float32)})[0]
               for begin in range(0, len(windows), self.batch)]
        raw = np.concatenate(out).astype(np.float32)
        return raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-9)


def embed_windows(encoder: SpeakerEncoder, mels: np.ndarray, starts: Sequence[int], length: int) -> np.ndarray:
    """Embeddings of the ``length``-frame windows of ``mels`` starting at ``starts``."""
    if not len(starts):
        return np.zeros((0, EMBED_DIM), np.float32)
    index = np.asarray(starts)[:, None] + np.arange(length)[None, :]
    return encoder.embed(mels[index])
