"""Choose device and build each model once, at the composition root."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from monitor.config import ScanOptions
from monitor.detectors.claims import ClaimEngine
from monitor.detectors.digital_human import ForgeryModel, OnnxForgeryModel
from monitor.errors import ConfigError
from monitor.observations.asr import AsrEngine, AsrOptions, FasterWhisperAsr
from monitor.observations.faces import FaceEngine
from monitor.observations.host_face import HostFaceEngine
from monitor.observations.ocr import OcrEngine, OcrOptions, RapidOcrEngine
from monitor.observations.speaker_embed import Ge2eEncoder, SpeakerEncoder

__all__ = ["Engines", "build_claim_engine", "build_engines", "cuda_available", "ocr_on_cuda", "resolve_device"]

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=2)
def cuda_available(runtime: str) -> bool:
    """True when ``runtime`` ('faster-whisper' = CTranslate2, or 'torch') sees a CUDA device."""
    try:
        if runtime == "torch":
            import torch

            return bool(torch.cuda.is_available())
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except Exception:  # a broken CUDA install means: no CUDA
        return False


def resolve_device(device: str, runtime: str = "faster-whisper") -> str:
    """'auto' → 'cuda' when the runtime sees one, else 'cpu'; 'cuda' without CUDA is a clear error."""
    if device == "auto":
        return "cuda" if cuda_available(runtime) else "cpu"
    if device == "cuda" and not cuda_available(runtime):
        raise ConfigError(f"--device cuda was asked for, but {runtime} sees no CUDA device; use --device cpu")
    return device


def ocr_on_cuda(device: str) -> bool:
    """OCR runs on the GPU when the ASR does and onnxruntime has its CUDA provider (onnxruntime-gpu)."""
    if device != "cuda":
        return False
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        return True
    log.warning("onnxruntime has no CUDA provider (install onnxruntime-gpu): OCR runs on the CPU")
    return False


def _build_asr(options: ScanOptions, device: str) -> AsrEngine:
    if options.asr_engine == "torch":
        from monitor.engines.torch_whisper import TorchWhisperAsr, TorchWhisperOptions

        return TorchWhisperAsr(
            TorchWhisperOptions(model=options.asr_model, device=device, dtype=options.compute_type or "auto",
                                batch_size=options.asr_batch_size or 1)
        )
    compute_type = options.compute_type or ("float16" if device == "cuda" else "int8")
    return FasterWhisperAsr(
        AsrOptions(model=options.asr_model, device=device, compute_type=compute_type, beam_size=options.beam_size,
                   batch_size=options.asr_batch_size)
    )


@dataclass(frozen=True, slots=True)
class Engines:
    """The models a scan uses; build once, share across scans."""

    claims: ClaimEngine
    asr: AsrEngine | None
    ocr: OcrEngine | None
    faces: Callable[[], FaceEngine] | None = None
    """Makes one face engine per stream (MediaPipe's VIDEO mode needs increasing timestamps)."""
    forgery: ForgeryModel | None = None
    speakers: SpeakerEncoder | None = None
    """The voice encoder speaker turns are told by (``None``: turns are off)."""


def build_claim_engine(
    pack_dirs: Sequence[Path] = (), allow_list: Path | None = None, classifier: str = "embedded"
) -> ClaimEngine:
    """Rule packs plus, unless ``classifier`` is 'none', a learned classifier fused with them."""
    if classifier == "none":
        return ClaimEngine.load(pack_dirs=pack_dirs, allow_list=allow_list)
    from monitor.detectors.claims.classifier import EmbeddingClaimClassifier, TransformersClaimClassifier

    if classifier == "embedded":
        model = EmbeddingClaimClassifier.load()
        return ClaimEngine.load(
            pack_dirs=pack_dirs,
            allow_list=allow_list,
            classifier=model,
            fusion=model.fusion_config("text"),
            speech_fusion=model.fusion_config("speech"),
        )
    return ClaimEngine.load(
        pack_dirs=pack_dirs, allow_list=allow_list, classifier=TransformersClaimClassifier(classifier)
    )


def build_engines(options: ScanOptions, claims: ClaimEngine | None = None) -> Engines:
    """Load the claim rules (unless given) and, when enabled, the ASR, OCR and face models."""
    device = resolve_device(options.device, options.asr_engine)
    claims = claims or build_claim_engine(options.rule_packs, options.allow_list, options.classifier)
    asr = _build_asr(options, device) if options.speech else None
    ocr = (
        RapidOcrEngine(OcrOptions(det_side=options.ocr_det_side, use_cuda=ocr_on_cuda(device)))
        if options.screen
        else None
    )
    faces = HostFaceEngine if options.faces else None
    if faces is not None:
        faces().close()  # fail now, with a clear error, if the model cannot load
    forgery = OnnxForgeryModel(options.forgery_model) if options.forgery_model else None
    # the encoder embeds on one onnxruntime thread: it runs beside Whisper, OCR and faces, which keep the cores busy
    # (docs/speaker-turns.md)
    speakers = Ge2eEncoder(threads=1) if options.speech and options.speaker_turns else None
    return Engines(claims=claims, asr=asr, ocr=ocr, faces=faces, forgery=forgery, speakers=speakers)
