"""Signal helpers for the room conditions: levels, mixing at an SNR, reverberation, phone band, lossy codecs.

All audio is mono float32 at 16 kHz unless a function says otherwise. Levels are *active*
levels (the RMS of the 20 ms frames within 40 dB of the loudest frame), so a sentence's
pauses and a co-host's gaps do not lower the level an SNR is set against.
"""

from __future__ import annotations

import io

import av
import numpy as np

__all__ = [
    "RATE",
    "active_rms",
    "codec_roundtrip",
    "mix_at_snr",
    "phone_band",
    "reverberate",
    "room_impulse",
    "snr_db",
]

RATE = 16_000
_FRAME = 320  # 20 ms
_FLOOR_DB = 40.0


def active_rms(x: np.ndarray, floor_db: float = _FLOOR_DB) -> float:
    """RMS over the 20 ms frames whose RMS lies within ``floor_db`` of the loudest frame (0 for silence)."""
    x = np.asarray(x, np.float64)
    if x.size == 0:
        return 0.0
    frames = x[: x.size - x.size % _FRAME].reshape(-1, _FRAME) if x.size >= _FRAME else x.reshape(1, -1)
    power = (frames**2).mean(axis=1)
    peak = float(power.max())
    if peak <= 0.0:
        return 0.0
    kept = power[power >= peak * 10 ** (-floor_db / 10)]
    return float(np.sqrt(kept.mean()))


def snr_db(speech: np.ndarray, noise: np.ndarray) -> float:
    """Active level of ``speech`` over active level of ``noise``, in dB."""
    return float(20 * np.log10(active_rms(speech) / max(active_rms(noise), 1e-12)))


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr: float) -> tuple[np.ndarray, np.ndarray]:
    """``noise`` scaled so that ``speech`` sits ``snr`` dB above it; returns (mix, scaled noise).

    Both are the same length; the mix is not normalised (see :func:`fit_peak`).
    """
    if speech.shape != noise.shape:
        raise ValueError(f"speech has shape {speech.shape}, noise {noise.shape}")
    level = active_rms(noise)
    if level == 0.0:
        return speech.astype(np.float32), np.zeros_like(speech, np.float32)
    scaled = noise * (active_rms(speech) / level / 10 ** (snr / 20))
    return (speech + scaled).astype(np.float32), scaled.astype(np.float32)


def fit_peak(x: np.ndarray, peak: float = 0.95) -> np.ndarray:
    """Scale down (never up) so no sample exceeds ``peak``: no clipping, SNRs unchanged."""
    top = float(np.abs(x).max()) if x.size else 0.0
    return (x * (peak / top) if top > peak else x).astype(np.float32)


def room_impulse(rng: np.random.Generator, rt60: float = 0.6, drr_db: float = 3.0) -> np.ndarray:
    """A synthetic room impulse response: a direct path, then exponentially decaying noise (the tail
    60 dB down after ``rt60`` s) at ``drr_db`` below the direct path's energy."""
    n = int(rt60 * RATE)
    t = np.arange(n) / RATE
    tail = rng.standard_normal(n) * np.exp(-6.908 * t / rt60)
    tail[: int(0.002 * RATE)] = 0.0  # first reflections arrive after ~2 ms
    tail *= np.sqrt(10 ** (-drr_db / 10) / float((tail**2).sum()))
    tail[0] = 1.0
    return tail.astype(np.float32)


def reverberate(x: np.ndarray, impulse: np.ndarray) -> np.ndarray:
    """``x`` convolved with ``impulse``, cut to its own length and brought back to its active level."""
    from scipy.signal import fftconvolve

    wet = fftconvolve(x, impulse)[: x.size]
    level = active_rms(wet)
    return (wet * (active_rms(x) / level) if level else wet).astype(np.float32)


def phone_band(x: np.ndarray) -> np.ndarray:
    """Telephone grade: 300–3400 Hz band-pass, resampled to 8 kHz and back to 16 kHz."""
    from scipy.signal import butter, resample_poly, sosfiltfilt

    narrow = resample_poly(x, 1, 2, window=("kaiser", 10.0))
    sos = butter(6, [300, 3400], btype="bandpass", fs=RATE // 2, output="sos")
    return resample_poly(sosfiltfilt(sos, narrow), 2, 1, window=("kaiser", 10.0))[: x.size].astype(np.float32)


def codec_roundtrip(x: np.ndarray, codec: str, bitrate: int) -> np.ndarray:
    """Encode ``x`` with FFmpeg's ``codec`` (``aac`` or ``libmp3lame``) at ``bitrate`` b/s and decode it back.

    The result is aligned to the input (the encoder's delay removed by cross-correlation) and the same length.
    """
    container = {"aac": "adts", "libmp3lame": "mp3"}[codec]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as out:
        stream = out.add_stream(codec, rate=RATE, layout="mono")
        assert isinstance(stream, av.AudioStream)
        stream.bit_rate = bitrate
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=RATE)
        pcm = np.clip(x, -1.0, 1.0).astype(np.float32)
        step = 1152 * 4
        for at in range(0, pcm.size, step):
            frame = av.AudioFrame.from_ndarray(pcm[None, at : at + step], format="flt", layout="mono")
            frame.sample_rate = RATE
            frame.pts = at
            for converted in resampler.resample(frame):
                for packet in stream.encode(converted):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    buffer.seek(0)
    decoded: list[np.ndarray] = []
    with av.open(buffer, "r", format=container) as src:
        for frame in src.decode(audio=0):
            decoded.append(frame.to_ndarray().reshape(-1).astype(np.float32))
    y = np.concatenate(decoded) if decoded else np.zeros(0, np.float32)
    return _align(x, y)


def _align(reference: np.ndarray, y: np.ndarray, max_lag: int = 4096) -> np.ndarray:
    """``y`` shifted by its delay against ``reference`` (0..``max_lag`` samples) and cut or padded to its length."""
    n = reference.size
    if y.size == 0:
        return np.zeros(n, np.float32)
    probe = reference[: min(n, RATE * 4)].astype(np.float64)
    span = y[: probe.size + max_lag].astype(np.float64)
    if probe.size and span.size > probe.size and float(np.abs(probe).max()) > 0:
        from scipy.signal import correlate

        corr = correlate(span, probe, mode="valid")
        lag = int(np.argmax(corr))
    else:
        lag = 0
    out = y[lag : lag + n]
    return np.pad(out, (0, n - out.size)).astype(np.float32)
