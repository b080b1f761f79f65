"""No prompt is echoed on silence or music: Whisper base, each prompt of ``prompts/asr``, each way livemon reads.

As shipped (Silero VAD on), and, marked ``slow``, with the VAD off so that Whisper itself is given the
silence and the music: no transcript may carry a run of the prompt's text or one of its hotwords. Where
Whisper does write the prompt back, livemon drops it (the last test makes it do so).
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest

from monitor.media.types import AudioPCM
from monitor.observations.asr import AsrOptions, FasterWhisperAsr
from monitor.observations.asr_prompt import AsrPrompt, load_asr_prompts
from monitor.observations.batched_decode import DecodedChunk, TimedText
from monitor.observations.speech_chunks import SpeechChunk
from monitor.observations.types import TranscriptSegment
from monitor.observations.utterance_decode import DecodedUtterance

RATE = 16_000
SECONDS = 8
PROMPTS = [load_asr_prompts().own(v) for v in load_asr_prompts().verticals]


def _music(seconds: int = SECONDS, seed: int = 0) -> np.ndarray:
    """Synthetic backing music: a plucked chord progression with overtones over a noisy beat, no voice."""
    t = np.arange(seconds * RATE) / RATE
    out = np.zeros_like(t)
    for beat, root in enumerate([220.0, 277.2, 329.6, 246.9] * seconds):
        if beat >= seconds * 2:
            break
        span = (t >= beat / 2) & (t < beat / 2 + 0.5)
        decay = np.exp(-4.0 * (t[span] - beat / 2))
        for ratio, level in ((1.0, 1.0), (1.25, 0.6), (1.5, 0.5), (2.0, 0.3)):
            out[span] += level * decay * np.sin(2 * np.pi * root * ratio * t[span])
    rng = np.random.default_rng(seed)
    drums = (np.sin(2 * np.pi * 2 * t) > 0.97) * rng.normal(0.0, 1.0, t.size)
    return (0.3 * out / np.abs(out).max() + 0.05 * drums).astype(np.float32)


SIGNALS = {"silence": np.zeros(SECONDS * RATE, np.float32), "music": _music()}


@pytest.fixture(scope="module")
def whisper() -> FasterWhisperAsr:
    """The product's ASR as shipped: Whisper base, int8, Silero VAD, read window by window."""
    return FasterWhisperAsr(AsrOptions(batch_size=0))


def _leaks(text: str, prompt: AsrPrompt) -> list[str]:
    """Runs of four or more of the prompt's characters, and hotwords, found in ``text``."""
    bare, said = re.sub(r"[\W_]", "", prompt.text), re.sub(r"[\W_]", "", text)
    runs = {bare[i : i + 4] for i in range(len(bare) - 3)}
    return sorted({r for r in runs if r in said} | {w for w in prompt.hotwords if w in said})


def _read_every_way(asr: FasterWhisperAsr, samples: np.ndarray) -> dict[str, str]:
    clip = AudioPCM(samples, RATE)
    return {
        "transcribe": "".join(s.text for s in asr.transcribe(clip)),
        "chunks": "".join(s.text for s in asr.sharing_model(batch_size=8).transcribe(clip)),
        "live": "".join(s.text for s in asr.transcribe_batch([clip])[0]),
    }


@pytest.mark.parametrize("prompt", PROMPTS, ids=[p.id for p in PROMPTS])
@pytest.mark.parametrize("signal", list(SIGNALS))
def test_no_prompt_is_echoed_on_silence_or_music(whisper: FasterWhisperAsr, prompt: AsrPrompt, signal: str) -> None:
    read = _read_every_way(whisper.with_prompt(prompt), SIGNALS[signal])
    leaks = {how: _leaks(text, prompt) for how, text in read.items() if _leaks(text, prompt)}
    assert not leaks, (read, leaks)


@pytest.mark.slow
@pytest.mark.parametrize("prompt", PROMPTS, ids=[p.id for p in PROMPTS])
@pytest.mark.parametrize("signal", list(SIGNALS))
def test_whisper_given_silence_or_music_without_the_vad_echoes_no_prompt(
    whisper: FasterWhisperAsr, prompt: AsrPrompt, signal: str
) -> None:
    read = _read_every_way(whisper.sharing_model(vad=False, prompt=prompt), SIGNALS[signal])
    leaks = {how: _leaks(text, prompt) for how, text in read.items() if _leaks(text, prompt)}
    assert not leaks, (read, leaks)


ECHO = "以下是普通话茶叶直播带货的内容。"
SPEECH = "这款普洱喝了能降血压"


def test_an_echo_whisper_writes_is_dropped_however_it_is_read(
    whisper: FasterWhisperAsr, monkeypatch: pytest.MonkeyPatch
) -> None:
    asr = whisper.with_prompt(load_asr_prompts().own("tea"))
    music = AudioPCM(SIGNALS["music"], RATE)

    segments = [SimpleNamespace(start=0.0, end=3.0, text=ECHO, avg_logprob=-0.3),
                SimpleNamespace(start=3.0, end=6.0, text=SPEECH, avg_logprob=-0.3)]
    monkeypatch.setattr(asr.model, "transcribe", lambda *a, **k: (iter(segments), None))
    assert [s.text for s in asr.transcribe(music)] == [SPEECH]

    echo = DecodedUtterance(ECHO, -0.3, 0.1, silent=False, reliable=True)
    monkeypatch.setattr(asr.utterances, "decode", lambda clips, sample_rate=RATE: [echo for _ in clips])
    assert asr.transcribe_batch([music]) == [[]]

    chunk = SpeechChunk(SIGNALS["music"], ((0.0, SECONDS),))
    decoded = DecodedChunk((TimedText(0.0, 3.0, ECHO), TimedText(3.0, 6.0, SPEECH)), -0.3, SECONDS, False, True)
    monkeypatch.setattr(asr.chunks, "decode", lambda chunks: [decoded for _ in chunks])
    found, _ = asr.decode_chunks([chunk])
    assert [s.text for s in found] == [SPEECH] and isinstance(found[0], TranscriptSegment)
