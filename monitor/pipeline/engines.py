"""Choose device and build each model once, at the composition root."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from monitor.config import ScanOptions
from monitor.detectors.claims import ClaimEngine
from monitor.detectors.digital_human import ForgeryModel, OnnxForgeryModel
from monitor.errors import ConfigError
from monitor.observations.faces import FaceEngine, MediaPipeFaceEngine
from monitor.observations.asr import AsrEngine, AsrOptions, FasterWhisperAsr
from monitor.observations.ocr import OcrEngine, OcrOptions, RapidOcrEngine

__all__ = ["Engines", "build_engines", "cuda_available", "resolve_device"]


@functools.lru_cache(maxsize=1)
def cuda_available() -> bool:
    """True when CTranslate2 sees a CUDA device."""
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except Exception:  # a broken CUDA install means: no CUDA
        return False


def resolve_device(device: str) -> str:
    """'auto' → 'cuda' when present else 'cpu'; 'cuda' without CUDA is a clear error."""
    if device == "auto":
        return "cuda" if cuda_available() else "cpu"
    if device == "cuda" and not cuda_available():
        raise ConfigError("--device cuda was asked for, but no CUDA device is visible to CTranslate2")
    return device


@dataclass(frozen=True, slots=True)
class Engines:
    """The models a scan uses; build once, share across scans."""

    claims: ClaimEngine
    asr: AsrEngine | None
    ocr: OcrEngine | None
    faces: Callable[[], FaceEngine] | None = None
    """Makes one face engine per stream (MediaPipe's VIDEO mode needs increasing timestamps)."""
    forgery: ForgeryModel | None = None


def build_engines(options: ScanOptions) -> Engines:
    """Load the claim rules and, when enabled, the ASR and OCR models."""
    device = resolve_device(options.device)
    compute_type = options.compute_type or ("float16" if device == "cuda" else "int8")
    claims = ClaimEngine.load(pack_dirs=options.rule_packs, allow_list=options.allow_list)
    asr = (
        FasterWhisperAsr(
            AsrOptions(model=options.asr_model, device=device, compute_type=compute_type, beam_size=options.beam_size)
        )
        if options.speech
        else None
    )
    ocr = RapidOcrEngine(OcrOptions(det_side=options.ocr_det_side)) if options.screen else None
    faces = MediaPipeFaceEngine if options.faces else None
    if faces is not None:
        faces().close()  # fail now, with a clear error, if the model cannot load
    forgery = OnnxForgeryModel(options.forgery_model) if options.forgery_model else None
    return Engines(claims=claims, asr=asr, ocr=ocr, faces=faces, forgery=forgery)
