"""``TorchWhisperAsr``: the ``AsrEngine`` protocol on PyTorch/``transformers`` Whisper.

Audio is cut into ≤30 s speech chunks (Silero VAD), chunks from one or many clips are
decoded in batches (one encoder pass, greedy ``generate``), and each chunk becomes one
:class:`TranscriptSegment` normalised to Simplified Chinese. The engine has the
:class:`~monitor.observations.chunk_batching.ChunkBatchAsr` methods, so a scan's bounded
pieces of audio share batches too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.engines.torch_whisper.chunking import ChunkOptions, SpeechChunk, speech_chunks
from monitor.engines.torch_whisper.decoding import Decoded, DecodeOptions, WhisperDecoder
from monitor.engines.torch_whisper.devices import resolve_device, resolve_dtype
from monitor.engines.torch_whisper.loading import EMBEDDED_BASE, load_whisper, resolve_hf_model
from monitor.media.types import SAMPLE_RATE, AudioPCM
from monitor.observations.asr import transcript_text
from monitor.observations.asr_prompt import AsrPrompt, load_asr_prompts
from monitor.observations.prompt_echo import drop_echoes, is_echo
from monitor.observations.types import TranscriptSegment

__all__ = ["TorchWhisperAsr", "TorchWhisperOptions"]


@dataclass(frozen=True, slots=True)
class TorchWhisperOptions:
    """PyTorch Whisper settings; echoed into every scan's provenance."""

    model: str = EMBEDDED_BASE
    """``embedded:base`` (the wheel-shipped base model, converted once) or a transformers Whisper folder."""
    device: str = "cpu"
    """``cpu``, ``cuda`` or ``cuda:N``."""
    dtype: str = "auto"
    """``auto`` (float16 on CUDA, float32 on CPU), ``float32``, ``float16`` or ``bfloat16``."""
    batch_size: int = 8
    """Chunks per encoder/decoder batch."""
    prompt: AsrPrompt | None = None
    """Initial prompt (``prompts/asr``; None: the ``default`` vertical's); its hotwords go before its text,
    where faster-whisper puts them."""
    chunking: ChunkOptions = field(default_factory=ChunkOptions)
    decoding: DecodeOptions = field(default_factory=DecodeOptions)


class TorchWhisperAsr:
    """Whisper on PyTorch; the model is loaded once per instance, on one device."""

    def __init__(
        self, options: TorchWhisperOptions = TorchWhisperOptions(), *, loaded: tuple[Any, Any, Any] | None = None
    ) -> None:
        """Load the model (or, with ``loaded``, share another engine's model, features and tokenizer)."""
        if options.batch_size < 1:
            raise ValueError(f"batch_size must be ≥ 1, got {options.batch_size}")
        device = resolve_device(options.device)
        dtype = resolve_dtype(options.dtype, device)
        self.loaded = loaded or load_whisper(resolve_hf_model(options.model), device, dtype)
        self.options = options
        self.prompt = options.prompt or load_asr_prompts().for_vertical(None)
        self.name = f"torch-whisper:{options.model}:{device.type}:{str(dtype).removeprefix('torch.')}"
        context = " ".join([*self.prompt.hotwords, self.prompt.text]).strip() or None
        model, features, tokenizer = self.loaded
        self.decoder = WhisperDecoder(model, features, tokenizer, options.decoding, prompt=context)

    def with_prompt(self, prompt: AsrPrompt) -> TorchWhisperAsr:
        """This engine reading with another initial prompt (the model is shared)."""
        if prompt == self.prompt:
            return self
        return TorchWhisperAsr(dataclasses.replace(self.options, prompt=prompt), loaded=self.loaded)

    def transcribe(
        self, audio: AudioPCM, on_progress: Callable[[float], None] | None = None
    ) -> list[TranscriptSegment]:
        """Segments in stream time; ``on_progress`` gets the stream time reached after each batch."""
        return self._run([audio], on_progress)[0]

    def transcribe_batch(self, clips: Sequence[AudioPCM]) -> list[list[TranscriptSegment]]:
        """Transcribe many clips (e.g. one per room) with their chunks sharing batches."""
        return self._run(clips, None)

    @property
    def batch_size(self) -> int:
        """Chunks per encoder/decoder batch."""
        return self.options.batch_size

    def speech_chunks(self, audio: AudioPCM) -> list[SpeechChunk]:
        """The speech of ``audio`` in ≤30 s chunks (Silero VAD)."""
        _check_rate(audio)
        return speech_chunks(audio, self.options.chunking)

    def chunk_end(self, chunk: SpeechChunk) -> float:
        return chunk.end

    def decode_chunks(self, chunks: Sequence[SpeechChunk]) -> tuple[list[TranscriptSegment], list[SpeechChunk]]:
        """One segment per chunk that has text; nothing is left unread."""
        decoded = self.decoder.decode([c.samples for c in chunks])
        found = [s for c, d in zip(chunks, decoded, strict=True) if (s := _segment(c, d)) is not None]
        return drop_echoes(found, self.prompt), []

    def _run(
        self, clips: Sequence[AudioPCM], on_progress: Callable[[float], None] | None
    ) -> list[list[TranscriptSegment]]:
        for clip in clips:
            _check_rate(clip)
        jobs = [(i, c) for i, clip in enumerate(clips) for c in speech_chunks(clip, self.options.chunking)]
        out: list[list[TranscriptSegment]] = [[] for _ in clips]
        size = self.options.batch_size
        for at in range(0, len(jobs), size):
            batch = jobs[at : at + size]
            for (index, chunk), decoded in zip(batch, self.decoder.decode([c.samples for _, c in batch]), strict=True):
                segment = _segment(chunk, decoded)
                if segment is not None and not is_echo(segment.text, self.prompt):
                    out[index].append(segment)
            if on_progress is not None:
                on_progress(batch[-1][1].end)
        return out


def _check_rate(clip: AudioPCM) -> None:
    if clip.sample_rate != SAMPLE_RATE:
        raise ValueError(f"TorchWhisperAsr needs {SAMPLE_RATE} Hz audio, got {clip.sample_rate} Hz")


def _segment(chunk: SpeechChunk, decoded: Decoded) -> TranscriptSegment | None:
    if not decoded.text:
        return None
    return TranscriptSegment(
        start=round(chunk.start, 3),
        end=round(chunk.end, 3),
        text=transcript_text(decoded.text),
        raw_text=decoded.text,
        confidence=max(0.0, min(1.0, decoded.confidence)),
    )
