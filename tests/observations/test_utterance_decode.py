"""Live utterances through faster-whisper in one short-window batch (``FasterWhisperAsr.transcribe_batch``)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from monitor.media.types import AudioPCM
from monitor.observations.asr import FasterWhisperAsr
from monitor.observations.types import TranscriptSegment
from monitor.observations.utterance_decode import DecodedUtterance


def _chars(segments: list[TranscriptSegment]) -> str:
    return re.sub(r"[\W_]", "", "".join(s.text for s in segments))


@pytest.fixture(scope="module")
def asr() -> FasterWhisperAsr:
    return FasterWhisperAsr()


def test_a_batch_of_rooms_gets_one_segment_per_utterance(asr: FasterWhisperAsr, mandarin_clip: np.ndarray) -> None:
    silence = np.zeros(32_000, np.float32)
    clips = [AudioPCM(mandarin_clip, start=12.0), AudioPCM(mandarin_clip), AudioPCM(silence), AudioPCM(silence[:800])]
    room_a, room_b, quiet, blip = asr.transcribe_batch(clips)
    assert len(room_a) == 1 and room_a[0].start == 12.0
    assert room_a[0].end == pytest.approx(12.0 + len(mandarin_clip) / 16_000, abs=1e-3)
    assert "99" in room_a[0].text and "链接" in room_a[0].text  # the price and the call to action
    assert room_a[0].text == room_b[0].text and 0.0 < room_a[0].confidence <= 1.0
    assert quiet == [] and blip == []


def test_reads_as_well_as_the_30_s_window(asr: FasterWhisperAsr, mandarin_clip: np.ndarray) -> None:
    plain = _chars(asr.transcribe(AudioPCM(mandarin_clip)))
    window = _chars(asr.transcribe_batch([AudioPCM(mandarin_clip)])[0])
    same = sum(a == b for a, b in zip(plain, window, strict=False))
    assert len(window) == len(plain) and same >= 0.85 * len(plain), (plain, window)


def test_a_clip_longer_than_the_window_is_transcribed_whole(
    asr: FasterWhisperAsr, mandarin_clip: np.ndarray, mandarin_sentences: list[np.ndarray]
) -> None:
    gap = np.zeros(8_000, np.float32)
    cup, courier, service = mandarin_sentences
    long = np.concatenate([cup, gap, courier, gap, service, gap, mandarin_clip])
    assert not asr.utterances.fits(long, 16_000)
    (segments,) = asr.transcribe_batch([AudioPCM(long, start=3.0)])
    said = _chars(segments)
    assert all(word in said for word in ("毫升", "快递", "客服", "链接")), said
    assert segments[0].start >= 3.0 and segments[-1].end > 3.0 + 15.0


def test_an_unreliable_read_is_done_again_under_the_token_budget(
    asr: FasterWhisperAsr, mandarin_clip: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    looping = DecodedUtterance("好好好好好好好好好好好好好好好好好好", -0.2, 0.0, silent=False, reliable=False)
    monkeypatch.setattr(asr.utterances, "decode", lambda clips, sample_rate=16_000: [looping for _ in clips])
    budgets: list[int | None] = []
    plain = asr.transcribe

    def transcribe(audio: AudioPCM, on_progress: object = None, *, max_new_tokens: int | None = None):
        budgets.append(max_new_tokens)
        return plain(audio, max_new_tokens=max_new_tokens)

    monkeypatch.setattr(asr, "transcribe", transcribe)
    (segments,) = asr.transcribe_batch([AudioPCM(mandarin_clip)])
    assert "链接" in "".join(s.text for s in segments)
    assert budgets == [asr.utterances.budget(len(mandarin_clip) / 16_000)]


def test_the_token_budget_grows_with_the_clip_and_stays_under_whispers_limit(asr: FasterWhisperAsr) -> None:
    budget = asr.utterances.budget
    assert budget(2.0) < budget(8.0)
    assert budget(4.0) >= 4 * 8  # room for Mandarin at 5 characters a second, some of them two tokens
    assert budget(600.0) + len(asr.utterances.batch.prompt) <= asr.model.max_length


def test_a_clip_too_long_for_the_window_is_refused_by_the_decoder(asr: FasterWhisperAsr) -> None:
    with pytest.raises(ValueError, match="does not fit the 15.0 s window"):
        asr.utterances.decode([np.zeros(16_000 * 16, np.float32)])
