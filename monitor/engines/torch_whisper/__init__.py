"""Whisper on PyTorch/``transformers``: the embedded base model converted from CTranslate2,
a batched :class:`TorchWhisperAsr` engine and random-weight speed models.

Nothing heavy is imported here beyond torch; faster-whisper (for its VAD), opencc and
the model weights load on first use.
"""

from monitor.engines.torch_whisper.architectures import ARCHITECTURES, WhisperArch, generation_config, whisper_config
from monitor.engines.torch_whisper.chunking import ChunkOptions, SpeechChunk, speech_chunks
from monitor.engines.torch_whisper.convert import convert_ct2_folder, converted_base_model, ct2_to_hf_state_dict
from monitor.engines.torch_whisper.ct2_format import Ct2Model, read_ct2_model
from monitor.engines.torch_whisper.decoding import Decoded, DecodeOptions, WhisperDecoder
from monitor.engines.torch_whisper.devices import resolve_device, resolve_dtype
from monitor.engines.torch_whisper.engine import TorchWhisperAsr, TorchWhisperOptions
from monitor.engines.torch_whisper.loading import load_whisper, resolve_hf_model
from monitor.engines.torch_whisper.speed import SPEED_ONLY, build_speed_model, speed_decoder

__all__ = [
    "ARCHITECTURES",
    "SPEED_ONLY",
    "ChunkOptions",
    "Ct2Model",
    "DecodeOptions",
    "Decoded",
    "SpeechChunk",
    "TorchWhisperAsr",
    "TorchWhisperOptions",
    "WhisperArch",
    "WhisperDecoder",
    "build_speed_model",
    "convert_ct2_folder",
    "converted_base_model",
    "ct2_to_hf_state_dict",
    "generation_config",
    "load_whisper",
    "read_ct2_model",
    "resolve_device",
    "resolve_dtype",
    "resolve_hf_model",
    "speech_chunks",
    "speed_decoder",
    "whisper_config",
]
