"""The batch functions shared by many rooms: gated OCR, claim checks per source, ASR batches."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from monitor.detectors.claims import ClaimEngine, FusionConfig
from monitor.detectors.claims.schema import CLAIM_CATEGORIES
from monitor.media.types import AudioPCM, SampledFrame
from monitor.observations.asr_prompt import AsrPrompt, load_asr_prompts
from monitor.observations.types import TextBox, TranscriptSegment
from monitor.scheduling.workers import AsrBatch, ClaimCheck, GatedOcr, PromptedClip


class _CountingOcr:
    name = "fake"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def read(self, images: Sequence[np.ndarray]) -> list[tuple[TextBox, ...]]:
        self.calls.append(len(images))
        return [(TextBox("全网最低价", (2.0, 2.0, 20.0, 10.0), 0.9),) for _ in images]


def test_gated_ocr_reads_once_per_room_then_reuses() -> None:
    ocr = _CountingOcr()
    gated = GatedOcr(ocr)
    image = np.full((18, 32, 3), 200, np.uint8)
    frames = [(0, SampledFrame(0.0, 0, image)), (1, SampledFrame(0.0, 0, image)), (0, SampledFrame(1.0, 1, image))]
    first = gated(frames)
    assert ocr.calls == [2]  # one read for both rooms' first frames; room 0's second frame reused
    assert [f.reused for f in first] == [False, False, True]
    assert first[2].text == "全网最低价"
    assert (gated.reads, gated.frames) == (2, 3)


class _Sure:
    """A classifier that is 60% sure every text is false efficacy."""

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        row = np.array([0.6 if c == "false_efficacy" else 0.0 for c in CLAIM_CATEGORIES])
        return np.tile(row, (len(texts), 1))


def test_claim_check_returns_hits_per_line_at_each_sources_operating_point() -> None:
    engine = ClaimEngine.load(
        classifier=_Sure(), fusion=FusionConfig(alone_threshold=0.9), speech_fusion=FusionConfig(alone_threshold=0.5)
    )
    results = ClaimCheck(engine)([(["全网最低价", "欢迎"], "text"), ([], "speech"), (["吃了会变聪明"], "speech")])
    assert [len(r) for r in results] == [2, 0, 1]
    assert {h.category for h in results[0][0]} == {"absolute_terms", "price_fraud"} and results[0][1] == []
    assert [h.rule for h in results[2][0]] == ["classifier:false_efficacy"]


class _Asr:
    name = "fake"

    def __init__(self) -> None:
        self.calls = 0

    def transcribe(self, audio: AudioPCM, on_progress: object = None) -> list[TranscriptSegment]:
        self.calls += 1
        return [TranscriptSegment(audio.start, audio.start + audio.duration, f"第{self.calls}句")]


class _BatchedAsr(_Asr):
    def transcribe_batch(self, clips: Sequence[AudioPCM]) -> list[list[TranscriptSegment]]:
        self.calls += 100
        return [[TranscriptSegment(c.start, c.start + c.duration, "批")] for c in clips]


def test_asr_batch_uses_a_batched_call_when_the_engine_has_one() -> None:
    clips = [AudioPCM(np.zeros(1600, np.float32), 16_000, start=float(s)) for s in (3, 7)]
    plain, batched = _Asr(), _BatchedAsr()
    assert [[s.text for s in r] for r in AsrBatch(plain)(clips)] == [["第1句"], ["第2句"]]
    assert [r[0].start for r in AsrBatch(batched)(clips)] == [3.0, 7.0] and batched.calls == 100


class _PromptedAsr(_BatchedAsr):
    """Reads with a prompt; the engine ``with_prompt`` makes says which prompt read each clip."""

    def __init__(self, prompt: AsrPrompt, calls: list[tuple[str, int]] | None = None) -> None:
        super().__init__()
        self.prompt, self.log = prompt, calls if calls is not None else []

    def with_prompt(self, prompt: AsrPrompt) -> _PromptedAsr:
        return _PromptedAsr(prompt, self.log)

    def transcribe_batch(self, clips: Sequence[AudioPCM]) -> list[list[TranscriptSegment]]:
        self.log.append((self.prompt.id, len(clips)))
        return [[TranscriptSegment(c.start, c.start + c.duration, self.prompt.id)] for c in clips]


def test_asr_batch_reads_each_rooms_utterance_with_its_verticals_prompt() -> None:
    prompts = load_asr_prompts()
    tea, food = prompts.for_vertical("tea"), prompts.for_vertical("food")
    clip = AudioPCM(np.zeros(1600, np.float32), 16_000)
    asr = _PromptedAsr(prompts.for_vertical(None))
    batch = AsrBatch(asr)
    read = batch([PromptedClip(clip, tea), PromptedClip(clip, food), PromptedClip(clip, tea), clip])
    assert [r[0].text for r in read] == ["tea", "food", "tea", "default"]
    assert asr.log == [("tea", 2), ("food", 1), ("default", 1)]  # rooms of one vertical share a call
