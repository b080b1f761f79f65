"""Candidate means of holding up in loud rooms, each a :class:`~benchmarks.acoustics.read.Reader`.

Measured on the dev split by :mod:`benchmarks.acoustics.tune`; the winner is chosen there by
measurement. Front ends run on the 16 kHz audio before the ASR; the others change the VAD cut or
Whisper's decoding.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from benchmarks.acoustics.read import PRODUCT, Reader
from benchmarks.acoustics.signals import RATE

__all__ = ["READERS", "high_pass", "spectral_gate"]


def high_pass(cutoff: float) -> Callable[[np.ndarray], np.ndarray]:
    """A 4th-order Butterworth high-pass at ``cutoff`` Hz (zero phase): takes off the bass and kick drum."""
    from scipy.signal import butter, sosfiltfilt

    sos = butter(4, cutoff, btype="highpass", fs=RATE, output="sos")
    return lambda x: sosfiltfilt(sos, x).astype(np.float32)


def spectral_gate(x: np.ndarray) -> np.ndarray:
    """``noisereduce``'s non-stationary spectral gating (installed only for this measurement)."""
    import noisereduce

    return np.asarray(noisereduce.reduce_noise(y=x, sr=RATE, stationary=False, prop_decrease=0.8), np.float32)


def _chain(*steps: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: functools.reduce(lambda y, f: f(y), steps, x)


READERS: dict[str, Reader] = {
    r.name: r
    for r in (
        PRODUCT,
        Reader("hp150", front=high_pass(150)),
        Reader("hp300", front=high_pass(300)),
        Reader("gate", front=spectral_gate),
        Reader("vad035", cut={"threshold": 0.35}),
        Reader("vad065", cut={"threshold": 0.65}),
        Reader("pad400", cut={"speech_pad_ms": 400}),
        Reader("beam5", asr={"beam_size": 5}),
        Reader("lp08", decode={"log_prob_threshold": -0.8}),
        Reader("nospeech09", decode={"no_speech_threshold": 0.9}),
        Reader("window30", asr={"window_s": 30.0}),
        Reader("hp150_beam5", asr={"beam_size": 5}, front=high_pass(150)),
    )
}
"""Every reader the table and the tuning know, by name."""
