"""Pick the torch device and dtype once, with clear errors for what this machine lacks."""

from __future__ import annotations

import torch

from monitor.errors import ConfigError

__all__ = ["DTYPES", "resolve_device", "resolve_dtype"]

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def resolve_device(device: str) -> torch.device:
    """``"cpu"``, ``"cuda"`` or ``"cuda:N"`` → a usable ``torch.device``; ConfigError otherwise."""
    if device == "cpu":
        return torch.device("cpu")
    if device == "cuda" or device.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ConfigError(
                f"device {device!r} was asked for but PyTorch {torch.__version__} sees no CUDA GPU "
                f"(built for CUDA {torch.version.cuda or 'none'}); use device='cpu'"
            )
        resolved = torch.device(device)
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ConfigError(f"device {device!r}: only {torch.cuda.device_count()} CUDA device(s) visible")
        return resolved
    raise ConfigError(f"unknown device {device!r}: use 'cpu', 'cuda' or 'cuda:N'")


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    """``"auto"`` → float16 on CUDA, float32 on CPU; float16 on CPU is refused (slow, partial kernels)."""
    if dtype == "auto":
        return torch.float16 if device.type == "cuda" else torch.float32
    if dtype not in DTYPES:
        raise ConfigError(f"unknown dtype {dtype!r}: use 'auto', {', '.join(map(repr, DTYPES))}")
    if dtype == "float16" and device.type == "cpu":
        raise ConfigError("dtype 'float16' needs a CUDA device; on the CPU use 'float32' or 'bfloat16'")
    return DTYPES[dtype]
