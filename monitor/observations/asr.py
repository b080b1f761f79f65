"""Speech to transcript segments, behind a one-method protocol."""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from monitor.errors import ModelError
from monitor.media.types import AudioPCM
from monitor.observations.asr_prompt import AsrPrompt, load_asr_prompts
from monitor.observations.batched_decode import ChunkDecodeOptions, ChunkDecoder, DecodedChunk
from monitor.observations.chunk_batching import read_in_batches
from monitor.observations.prompt_echo import drop_echoes
from monitor.observations.sentences import BROKEN_MARK, SENTENCE_PAUSE_S, split_at_pauses
from monitor.observations.speech_chunks import CutOptions, SpeechChunk, cut_speech
from monitor.observations.types import TranscriptSegment
from monitor.observations.utterance_decode import DecodedUtterance, UtteranceDecoder

__all__ = [
    "AsrEngine",
    "AsrOptions",
    "FasterWhisperAsr",
    "PromptedAsr",
    "prompt_of",
    "segments_from_faster_whisper",
    "to_simplified",
    "transcript_text",
]

@functools.lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese (OpenCC); other scripts pass through."""
    return str(_t2s().convert(text))


_BROKEN_PUNCTUATION = BROKEN_MARK
_DOUBLED = re.compile(r"，\s*([,，。？！?!])")


def transcript_text(raw: str) -> str:
    """The transcript line livemon works with: Simplified, with Whisper's broken punctuation repaired.

    Small Whisper models emit Chinese punctuation byte by byte and now and then get the
    last byte wrong: ``，`` (EF BC 8C) comes out as a lone full-width letter or digit
    (``家人们Ｍ这个``, ``三岁４我就``) or as an invalid sequence (U+FFFD). Left in, these
    read as letters and digits (``原价599４今天`` would price at 5994). A lone full-width
    letter or digit right after a Chinese character or an ASCII digit, and every U+FFFD, become ``，``.
    """
    repaired = _BROKEN_PUNCTUATION.sub("，", to_simplified(raw))
    return _DOUBLED.sub(r"\1", repaired)


class AsrEngine(Protocol):
    """Anything that turns 16 kHz mono audio into transcript segments."""

    name: str

    def transcribe(
        self, audio: AudioPCM, on_progress: Callable[[float], None] | None = None
    ) -> list[TranscriptSegment]:
        """Segments in stream time (``audio.start`` added)."""
        ...


@runtime_checkable
class PromptedAsr(AsrEngine, Protocol):
    """An engine that reads with an initial prompt (``prompts/asr``) and can read with another."""

    prompt: AsrPrompt

    def with_prompt(self, prompt: AsrPrompt) -> AsrEngine:
        """The same loaded model reading with ``prompt``."""
        ...


def prompt_of(asr: AsrEngine) -> AsrPrompt | None:
    """The prompt ``asr`` reads with (None: an engine that takes none)."""
    return asr.prompt if isinstance(asr, PromptedAsr) else None


@dataclass(frozen=True, slots=True)
class AsrOptions:
    """faster-whisper settings; echoed into every scan's provenance."""

    model: str = "embedded:base"
    device: str = "cpu"
    compute_type: str = "int8"
    beam_size: int = 1
    language: str = "zh"
    vad: bool = True
    cpu_threads: int = 0
    """0 = one thread per core (CTranslate2's own default of 4 oversubscribes small machines)."""
    batch_size: int = 0
    """0: faster-whisper's ``transcribe``, one 30 s window after another; N ≥ 1: VAD-cut speech
    chunks decoded N at a time (:mod:`monitor.observations.batched_decode`)."""
    window_s: float = 15.0
    """With ``batch_size``: chunk length and decoder window (≤ 30 s)."""
    prompt: AsrPrompt | None = None
    """Initial prompt and hotwords; None: the ``default`` vertical's (``prompts/asr/default.toml``);
    :data:`~monitor.observations.asr_prompt.NO_PROMPT`: none."""


def segments_from_faster_whisper(segments: Sequence[Any], offset: float = 0.0) -> list[TranscriptSegment]:
    """Adapt faster-whisper ``Segment`` objects to ours (times shifted by ``offset``)."""
    out = []
    for seg in segments:
        raw = seg.text.strip()
        if not raw:
            continue
        confidence = float(np.exp(seg.avg_logprob)) if seg.avg_logprob is not None else 1.0
        out.append(
            TranscriptSegment(
                start=round(offset + seg.start, 3),
                end=round(offset + max(seg.end, seg.start), 3),
                text=transcript_text(raw),
                raw_text=raw,
                confidence=min(1.0, max(0.0, confidence)),
            )
        )
    return out


class FasterWhisperAsr:
    """faster-whisper (CTranslate2) engine; the model is loaded once per instance."""

    def __init__(self, options: AsrOptions = AsrOptions(), *, model: Any = None) -> None:
        """Load the model (or, with ``model``, use that loaded ``WhisperModel``; see :meth:`sharing_model`)."""
        from monitor.engines.whisper_weights import resolve_asr_model

        if options.batch_size < 0:
            raise ValueError(f"batch_size must be ≥ 0, got {options.batch_size}")
        if not 1.0 <= options.window_s <= 30.0:
            raise ValueError(f"window_s must be in [1, 30], got {options.window_s}")
        self.options = options
        self.prompt = options.prompt or load_asr_prompts().for_vertical(None)
        self.name = f"faster-whisper:{options.model}:{options.compute_type}"
        try:
            from faster_whisper import WhisperModel

            self.model = model or WhisperModel(
                resolve_asr_model(options.model),
                device=options.device,
                compute_type=options.compute_type,
                cpu_threads=options.cpu_threads or os.cpu_count() or 4,
                local_files_only=True,
            )
        except ModelError:
            raise
        except Exception as e:  # CTranslate2/HF raise many types; translate at the boundary
            raise ModelError(f"cannot load the Whisper model {options.model!r}: {e}") from e
        text, hotwords = self.prompt.text or None, self.prompt.hotwords_text
        self.utterances = UtteranceDecoder(self.model, options.language, text, hotwords=hotwords)
        self.chunks = ChunkDecoder(
            self.model, options.language, text, ChunkDecodeOptions(window_s=options.window_s),
            beam_size=options.beam_size, hotwords=hotwords,
        )
        self.cut = CutOptions(window_s=options.window_s, vad=options.vad)

    def sharing_model(self, **changes: Any) -> FasterWhisperAsr:
        """Another engine on this one's loaded model, with decoding options changed (``batch_size``,
        ``window_s``, ``beam_size``, ``vad``); the model, device and compute type stay."""
        fixed = {"model", "device", "compute_type", "cpu_threads"} & set(changes)
        if fixed:
            raise ValueError(f"{sorted(fixed)} belong to the loaded model and cannot change")
        return FasterWhisperAsr(dataclasses.replace(self.options, **changes), model=self.model)

    def with_prompt(self, prompt: AsrPrompt) -> FasterWhisperAsr:
        """This engine reading with another initial prompt and hotwords (the model is shared)."""
        return self if prompt == self.prompt else self.sharing_model(prompt=prompt)

    @property
    def batch_size(self) -> int:
        """Speech chunks per decoder call (0: the recording is read by ``transcribe``, window by window)."""
        return self.options.batch_size

    def transcribe(
        self,
        audio: AudioPCM,
        on_progress: Callable[[float], None] | None = None,
        *,
        max_new_tokens: int | None = None,
    ) -> list[TranscriptSegment]:
        """Segments of a clip or a whole recording, in batches of speech chunks when ``batch_size`` is set;
        ``max_new_tokens`` (window by window only) bounds each 30 s window's decode."""
        if audio.duration < 0.1:
            return []
        if self.batch_size and max_new_tokens is None:
            return read_in_batches(self, audio, on_progress)
        return drop_echoes(self._transcribe_windows(audio, on_progress, max_new_tokens), self.prompt)

    def speech_chunks(self, audio: AudioPCM) -> list[SpeechChunk]:
        """The speech of ``audio`` (Silero VAD) packed into chunks of at most ``window_s``."""
        return cut_speech(audio, self.cut) if audio.duration >= 0.1 else []

    def chunk_end(self, chunk: SpeechChunk) -> float:
        return chunk.end

    def decode_chunks(self, chunks: Sequence[SpeechChunk]) -> tuple[list[TranscriptSegment], list[SpeechChunk]]:
        """Segments of the chunks, decoded together, and their unread tails (see :class:`ChunkDecoder`).

        A chunk Whisper read unreliably is read again the ordinary way, with temperature fallback.
        Segments that only repeat the prompt are dropped (:mod:`monitor.observations.prompt_echo`).
        """
        segments: list[TranscriptSegment] = []
        unread: list[SpeechChunk] = []
        for chunk, decoded in zip(chunks, self.chunks.decode(chunks), strict=True):
            if not decoded.reliable:
                again = self._transcribe_windows(AudioPCM(chunk.samples, chunk.sample_rate), None, None)
                segments += [_in_stream(chunk, s) for s in again]
                continue
            if decoded.silent:
                continue
            segments += _chunk_segments(chunk, decoded)
            if self.chunks.options.tail_s < decoded.read_to < chunk.duration - self.chunks.options.tail_s:
                tail = chunk.tail(decoded.read_to)
                if tail is not None:
                    unread.append(tail)
        return drop_echoes(segments, self.prompt), unread

    def _transcribe_windows(
        self, audio: AudioPCM, on_progress: Callable[[float], None] | None, max_new_tokens: int | None
    ) -> list[TranscriptSegment]:
        """faster-whisper's ``transcribe``: 30 s windows in turn, each starting where the last segment ended."""
        segments, _info = self.model.transcribe(
            audio.samples,
            language=self.options.language,
            beam_size=self.options.beam_size,
            vad_filter=self.options.vad,
            initial_prompt=self.prompt.text or None,
            hotwords=self.prompt.hotwords_text,
            condition_on_previous_text=False,
            max_new_tokens=max_new_tokens,
        )
        collected = []
        for seg in segments:
            collected.append(seg)
            if on_progress is not None:
                on_progress(seg.end)
        return segments_from_faster_whisper(collected, offset=audio.start)

    def transcribe_batch(self, clips: Sequence[AudioPCM]) -> list[list[TranscriptSegment]]:
        """Live utterances (e.g. one per room), one segment each, decoded together in a short window.

        Clips without speech (Silero VAD, when ``vad`` is on) are not decoded.

        A clip too long for the window, or read unreliably there, is transcribed again the
        ordinary way under the same token budget (see :mod:`monitor.observations.utterance_decode`).
        """
        out: list[list[TranscriptSegment]] = [[] for _ in clips]
        speech = [i for i, c in enumerate(clips) if c.duration >= 0.1 and (not self.options.vad or _has_speech(c))]
        fits = [i for i in speech if self.utterances.fits(clips[i].samples, clips[i].sample_rate)]
        redo = [i for i in speech if i not in fits]
        for i, decoded in zip(fits, self.utterances.decode([clips[i].samples for i in fits]), strict=True):
            if not decoded.reliable:
                redo.append(i)
            elif decoded.text and not decoded.silent:
                out[i] = drop_echoes([_utterance_segment(clips[i], decoded)], self.prompt)
        for i in redo:
            out[i] = self.transcribe(clips[i], max_new_tokens=self.utterances.budget(clips[i].duration))
        return out


def _chunk_segments(chunk: SpeechChunk, decoded: DecodedChunk) -> list[TranscriptSegment]:
    """Whisper's segments of a chunk, cut at the sentence pauses in them, in stream time."""
    confidence = min(1.0, max(0.0, float(np.exp(decoded.avg_logprob))))
    pauses = chunk.pauses(longer_than=SENTENCE_PAUSE_S)
    out = []
    for timed in decoded.segments:
        for start, end, raw in split_at_pauses(timed.start, timed.end, timed.text, pauses):
            begin = round(chunk.to_stream(start), 3)
            out.append(TranscriptSegment(
                start=begin,
                end=round(max(begin, chunk.to_stream(end, end=True)), 3),
                text=transcript_text(raw),
                raw_text=raw,
                confidence=confidence,
            ))
    return out


def _in_stream(chunk: SpeechChunk, segment: TranscriptSegment) -> TranscriptSegment:
    """A segment of a chunk's own transcription (chunk time) moved to stream time."""
    start = round(chunk.to_stream(segment.start), 3)
    end = round(max(start, chunk.to_stream(segment.end, end=True)), 3)
    return TranscriptSegment(start, end, segment.text, segment.raw_text, segment.confidence)


def _has_speech(clip: AudioPCM) -> bool:
    """Silero VAD (as ``transcribe``'s ``vad_filter``) finds speech in the clip: Whisper makes text out of silence."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    return bool(get_speech_timestamps(clip.samples, VadOptions(), sampling_rate=clip.sample_rate))


def _utterance_segment(clip: AudioPCM, decoded: DecodedUtterance) -> TranscriptSegment:
    return TranscriptSegment(
        start=round(clip.start, 3),
        end=round(clip.start + clip.duration, 3),
        text=transcript_text(decoded.text),
        raw_text=decoded.text,
        confidence=min(1.0, max(0.0, float(np.exp(decoded.avg_logprob)))),
    )
