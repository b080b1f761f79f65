"""Resemblyzer's GE2E speaker encoder as an ONNX graph for onnxruntime, built from the wheel's weights without torch.

``resemblyzer/pretrained.pt`` is a PyTorch checkpoint in the legacy (pre-1.6) format: three pickles
(magic number, protocol, system info), the pickled ``{"model_state": {name: tensor}}`` whose tensors point
at storages by key, the storage keys, then each storage's raw bytes. :func:`read_state` reads it with an
unpickler that builds only what such a file holds (tensors as numpy arrays, an ``OrderedDict``) and
refuses any other class, as ``torch.load(weights_only=True)`` does. :func:`encoder_graph` turns the
state into the encoder: three ``LSTM`` nodes (torch's gate order i, f, g, o becomes ONNX's i, o, f, c),
then the linear layer and a ReLU (the caller scales each row to norm 1). It matches torch's output to within 1e-6 and
needs no torch: a scan or a watch saves torch's import and about 200 MiB of memory.
"""

from __future__ import annotations

import pickle
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["encoder_graph", "read_state"]

_MAGIC = 0x1950A86A20F9469CFC6C
"""The legacy PyTorch format's magic number."""
_STORAGES: dict[str, type[np.generic]] = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ByteStorage": np.uint8,
}
HIDDEN = 256
LAYERS = 3
OPSET = 17
IR_VERSION = 8
"""The ONNX IR version of opset 17; onnx writes its newest by default, which onnxruntime may not read yet."""


class _Storage:
    def __init__(self, dtype: type[np.generic], numel: int) -> None:
        self.dtype, self.numel = dtype, numel
        self.data: np.ndarray | None = None


class _Tensor:
    def __init__(self, storage: _Storage, offset: int, size: tuple[int, ...], stride: tuple[int, ...]) -> None:
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def array(self) -> np.ndarray:
        data = self.storage.data
        if data is None:
            raise ValueError("a tensor points at a storage the file does not hold")
        items = data[self.offset:]
        needed = 1 + sum((n - 1) * s for n, s in zip(self.size, self.stride, strict=True)) if self.size else 1
        if needed > len(items):
            raise ValueError("a tensor reaches past the end of its storage")
        return np.lib.stride_tricks.as_strided(
            items, self.size, [s * data.itemsize for s in self.stride], writeable=False
        ).copy()


def _rebuild_tensor(storage: _Storage, offset: int, size: tuple[int, ...], stride: tuple[int, ...],
                    *_: Any) -> _Tensor:
    return _Tensor(storage, int(offset), tuple(size), tuple(stride))


class _Unpickler(pickle.Unpickler):
    """Builds tensors (as :class:`_Tensor`), storages and ``OrderedDict``; nothing else."""

    def __init__(self, file: Any, storages: dict[str, _Storage]) -> None:
        super().__init__(file)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Callable[..., Any]:
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _STORAGES:
            return _STORAGES[name]
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        raise pickle.UnpicklingError(f"the weights file asks for {module}.{name}, which a weights file never holds")

    def persistent_load(self, pid: Any) -> _Storage:
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage" or pid[1] not in _STORAGES.values():
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        _, dtype, key, _location, numel = pid[:5]
        found = self.storages.setdefault(str(key), _Storage(dtype, int(numel)))
        return found


def read_state(path: Path) -> dict[str, np.ndarray]:
    """The checkpoint's ``model_state`` as numpy arrays; ``ValueError`` (or ``pickle`` errors) for anything else."""
    storages: dict[str, _Storage] = {}
    with path.open("rb") as f:
        if pickle.load(f) != _MAGIC:  # noqa: S301  # an int; the object pickle below is restricted
            raise ValueError("not a PyTorch checkpoint in the legacy format")
        pickle.load(f)  # noqa: S301  # protocol version
        info = pickle.load(f)  # noqa: S301  # system info: a dict of plain values
        if not isinstance(info, dict) or not info.get("little_endian", False):
            raise ValueError("the checkpoint was not written on a little-endian machine")
        state = _Unpickler(f, storages).load()
        keys = pickle.load(f)  # noqa: S301  # a list of storage keys
        for key in keys:
            storage = storages[str(key)]
            count = int(np.frombuffer(f.read(8), "<i8")[0])
            raw = f.read(count * np.dtype(storage.dtype).itemsize)
            if count != storage.numel or len(raw) != count * np.dtype(storage.dtype).itemsize:
                raise ValueError(f"storage {key} is cut short")
            storage.data = np.frombuffer(raw, storage.dtype)
    model = state.get("model_state") if isinstance(state, dict) else None
    if not isinstance(model, dict):
        raise ValueError("the checkpoint holds no model_state")
    return {name: tensor.array() for name, tensor in model.items() if isinstance(tensor, _Tensor)}


def _onnx_gates(torch_gates: np.ndarray) -> np.ndarray:
    """torch's LSTM gate blocks (i, f, g, o) in ONNX's order (i, o, f, c)."""
    i, f, g, o = np.split(torch_gates, 4, axis=0)
    return np.concatenate([i, o, f, g], axis=0)


def encoder_graph(state: dict[str, np.ndarray]) -> bytes:
    """The serialised ONNX model: ``mels`` (n, frames, 40) float32 → ``embeddings`` (n, 256), before the L2 norm."""
    from onnx import TensorProto, helper, numpy_helper

    weights: list[Any] = [numpy_helper.from_array(np.array([0], np.int64), "axis0"),
                          numpy_helper.from_array(np.array([1], np.int64), "axis1")]
    nodes = [helper.make_node("Transpose", ["mels"], ["steps0"], perm=[1, 0, 2])]  # (frames, n, 40)
    for layer in range(LAYERS):
        w = _onnx_gates(state[f"lstm.weight_ih_l{layer}"])[None]
        r = _onnx_gates(state[f"lstm.weight_hh_l{layer}"])[None]
        b = np.concatenate([_onnx_gates(state[f"lstm.bias_ih_l{layer}"]),
                            _onnx_gates(state[f"lstm.bias_hh_l{layer}"])])[None]
        weights += [numpy_helper.from_array(a.astype(np.float32), f"{name}{layer}")
                    for name, a in (("W", w), ("R", r), ("B", b))]
        nodes += [
            helper.make_node("LSTM", [f"steps{layer}", f"W{layer}", f"R{layer}", f"B{layer}"],
                             [f"all{layer}", f"last{layer}"], hidden_size=HIDDEN),
            helper.make_node("Squeeze", [f"all{layer}", "axis1"], [f"steps{layer + 1}"]),  # one direction
        ]
    weights += [numpy_helper.from_array(np.ascontiguousarray(state["linear.weight"].T, np.float32), "linear_w"),
                numpy_helper.from_array(state["linear.bias"].astype(np.float32), "linear_b")]
    nodes += [
        helper.make_node("Squeeze", [f"last{LAYERS - 1}", "axis0"], ["hidden"]),
        helper.make_node("MatMul", ["hidden", "linear_w"], ["projected"]),
        helper.make_node("Add", ["projected", "linear_b"], ["biased"]),
        helper.make_node("Relu", ["biased"], ["embeddings"]),
    ]
    graph = helper.make_graph(
        nodes, "ge2e", [helper.make_tensor_value_info("mels", TensorProto.FLOAT, ["n", "frames", 40])],
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["n", HIDDEN])], weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="livemon",
                              ir_version=IR_VERSION)
    return model.SerializeToString()  # type: ignore[no-any-return]
