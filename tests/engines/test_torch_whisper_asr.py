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



def test_a_scan_cut_in_pieces_gets_the_same_transcript_through_chunk_batches(
    mandarin_sentences: list[np.ndarray],
) -> None:
    from monitor.engines.torch_whisper import TorchWhisperOptions
    from monitor.observations.chunk_batching import ChunkBatchAsr
    from monitor.observations.chunked_asr import ChunkedTranscriber

    engine = TorchWhisperAsr(TorchWhisperOptions(batch_size=2))
    assert isinstance(engine, ChunkBatchAsr) and engine.batch_size == 2
    pause = np.zeros(16_000, np.float32)
    samples = np.concatenate([pause, *(x for s in mandarin_sentences for x in (s, pause))])
    whole = engine.transcribe(AudioPCM(samples, start=5.0))
    chunked = ChunkedTranscriber(engine, chunk_seconds=8.0, search_seconds=3.0)
    for at in range(0, samples.size, 3_200):
        chunked.feed(AudioPCM(samples[at : at + 3_200], start=5.0 + at / 16_000))
    pieces = chunked.finish()
    assert [s.text for s in pieces] == [s.text for s in whole] and len(whole) == len(mandarin_sentences)
    assert [s.start for s in pieces] == pytest.approx([s.start for s in whole], abs=0.05)
