"""Read CTranslate2's ``model.bin``: a flat binary of named, typed variables.

Layout (``ctranslate2.specs.model_spec.ModelSpec._serialize``), little-endian::

    u32 binary_version, str spec_name, u32 revision, u32 n_variables,
    n × (str name, u8 rank, rank × u32 dim, u8 dtype, u32 n_bytes, bytes),
    u32 n_aliases, n × (str alias, str target)

where ``str`` is a u16 length (including a trailing NUL) then UTF-8 bytes. Only the
reader lives here; no CTranslate2 import is needed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import torch

from monitor.errors import ModelError

__all__ = ["Ct2Model", "read_ct2_model"]

# Order of CTranslate2's DataType enum (include/ctranslate2/types.h).
_DTYPES = (torch.float32, torch.int8, torch.int16, torch.int32, torch.float16, torch.bfloat16)
_SUPPORTED_VERSIONS = range(1, 7)


@dataclass(frozen=True, slots=True)
class Ct2Model:
    """The variables of one CTranslate2 model, aliases resolved, int8 weights dequantised."""

    spec: str
    revision: int
    variables: dict[str, torch.Tensor]


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.offset = 0

    def unpack(self, fmt: str) -> int:
        (value,) = struct.unpack_from("<" + fmt, self.data, self.offset)
        self.offset += struct.calcsize(fmt)
        return int(value)

    def string(self) -> str:
        size = self.unpack("H")
        text = bytes(self.data[self.offset : self.offset + size - 1]).decode("utf-8")
        self.offset += size
        return text

    def take(self, size: int) -> memoryview:
        chunk = self.data[self.offset : self.offset + size]
        if len(chunk) != size:
            raise ModelError(f"CTranslate2 model.bin ends early at byte {self.offset}")
        self.offset += size
        return chunk


def read_ct2_model(path: Path) -> Ct2Model:
    """Load every variable of ``path`` as a CPU tensor (scalars as 0-d tensors)."""
    cursor = _Cursor(path.read_bytes())
    version = cursor.unpack("I")
    if version not in _SUPPORTED_VERSIONS:
        raise ModelError(f"{path}: unsupported CTranslate2 binary version {version}")
    spec = cursor.string()
    revision = cursor.unpack("I")
    variables: dict[str, torch.Tensor] = {}
    for _ in range(cursor.unpack("I")):
        name = cursor.string()
        shape = [cursor.unpack("I") for _ in range(cursor.unpack("B"))]
        dtype = _DTYPES[cursor.unpack("B")]
        raw = cursor.take(cursor.unpack("I"))
        tensor = torch.frombuffer(bytearray(raw), dtype=dtype) if len(raw) else torch.zeros(0, dtype=dtype)
        variables[name] = tensor.reshape(shape)
    for _ in range(cursor.unpack("I")):
        alias, target = cursor.string(), cursor.string()
        variables[alias] = variables[target]
    return Ct2Model(spec=spec, revision=revision, variables=_dequantise(variables))


def _dequantise(variables: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """int8/int16 weights with a ``weight_scale`` sibling → float32 (``w = q / scale``)."""
    out = {}
    for name, tensor in variables.items():
        if name.endswith("/weight_scale"):
            continue
        scale = variables.get(name + "_scale") if name.endswith("/weight") else None
        if scale is not None and not tensor.is_floating_point():
            scale = scale.float().reshape(-1, *([1] * (tensor.ndim - 1)))
            tensor = tensor.float() / scale
        out[name] = tensor
    return out
