"""TorchWhisperAsr on the embedded base weights: real Mandarin, and agreement with faster-whisper."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.cer import cer
from monitor.engines.torch_whisper import TorchWhisperAsr
from monitor.media.types import AudioPCM
from monitor.observations.types import TranscriptSegment


@pytest.fixture(scope="module")
def torch_segments(mandarin_clip: np.ndarray) -> list[list[TranscriptSegment]]:
    """One batched call: the clip as stream time 10 s, and the clip again as another room."""
    engine = TorchWhisperAsr()
    assert engine.name == "torch-whisper:embedded:base:cpu:float32"
    return engine.transcribe_batch([AudioPCM(mandarin_clip, start=10.0), AudioPCM(mandarin_clip)])


def test_transcribes_a_real_mandarin_clip(torch_segments: list[list[TranscriptSegment]]) -> None:
    shifted, plain = torch_segments
    text = "".join(s.text for s in shifted)
    # Simplified script and the call to action; whisper base may hear 面霜 as its homophone 面床,
    # depending on the CPU's float paths, so the product word is not asserted
    assert "家人们" in text and "今天只要" in text and "链接" in text and "這" not in text
    assert shifted[0].start >= 10.0 and shifted[-1].end <= 10.0 + 6.0
    assert [s.text for s in shifted] == [s.text for s in plain]
    assert all(0.0 < s.confidence <= 1.0 for s in shifted)


def test_agrees_with_faster_whisper_on_the_same_weights(
    mandarin_clip: np.ndarray, torch_segments: list[list[TranscriptSegment]]
) -> None:
    from monitor.observations.asr import FasterWhisperAsr

    reference = "".join(s.text for s in FasterWhisperAsr().transcribe(AudioPCM(mandarin_clip)))
    ours = "".join(s.text for s in torch_segments[1])
    assert cer(reference, ours) <= 0.15, (reference, ours)

