"""The ONNX face-forgery plug-in, with a tiny model exported by the test."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from monitor.detectors.digital_human import OnnxForgeryModel, forgery_signal, score_crops
from monitor.errors import ModelError
from monitor.observations.faces import FaceCrop

torch = pytest.importorskip("torch")


class RedShare(torch.nn.Module):
    """Score = mean of the red channel: predictable from the crop."""

    def forward(self, x):
        return x[:, 0].mean(dim=(1, 2)).unsqueeze(1)


def export(module, path: Path, shape: tuple[int, ...], monkeypatch) -> Path:
    # The legacy exporter only needs the 'onnx' package to add onnxscript functions,
    # which this graph has none of; 'onnx' is not installed here.
    from torch.onnx._internal.torchscript_exporter import onnx_proto_utils

    monkeypatch.setattr(onnx_proto_utils, "_add_onnxscript_fn", lambda model, _opsets: model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(module, (torch.zeros(shape),), str(path), dynamo=False, input_names=["x"],
                          output_names=["y"], dynamic_axes={"x": {0: "n"}})
    return path


@pytest.fixture
def model_path(tmp_path, monkeypatch) -> Path:
    return export(RedShare(), tmp_path / "red.onnx", (2, 3, 16, 16), monkeypatch)


def crop(red: int) -> np.ndarray:
    image = np.zeros((40, 40, 3), np.uint8)
    image[:, :, 0] = red
    return image


@pytest.mark.parametrize("batch_size", [1, 3, 16])
def test_scores_every_crop_in_batches(model_path, batch_size):
    model = OnnxForgeryModel(model_path, batch_size=batch_size)
    reds = [0, 51, 102, 153, 204, 255, 255]
    np.testing.assert_allclose(model.score([crop(r) for r in reds]), np.array(reds) / 255, atol=1e-5)


def test_forgery_signal_is_the_mean_score(model_path):
    crops = [FaceCrop(float(i), crop(255 * (i % 2))) for i in range(4)]
    signal = forgery_signal(score_crops(OnnxForgeryModel(model_path), crops))
    assert signal.score == pytest.approx(0.5) and signal.evidence["crops"] == 4


def test_no_crops_is_not_judged(model_path):
    assert forgery_signal(score_crops(OnnxForgeryModel(model_path), [])).score is None


def test_missing_model(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        OnnxForgeryModel(tmp_path / "none.onnx")


def test_model_with_wrong_input_shape(tmp_path, monkeypatch):
    path = export(torch.nn.Linear(8, 1), tmp_path / "flat.onnx", (2, 8), monkeypatch)
    with pytest.raises(ModelError, match=r"\(N, 3, S, S\)"):
        OnnxForgeryModel(path)


def test_corrupt_model(tmp_path):
    path = tmp_path / "bad.onnx"
    path.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="cannot load"):
        OnnxForgeryModel(path)
