"""Random-weight speed models: built by name, decoded with a fixed number of steps."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.engines.torch_whisper import SPEED_ONLY, build_speed_model, speed_decoder
from monitor.errors import ConfigError


def test_base_speed_model_decodes_a_fixed_number_of_steps() -> None:
    decoder = speed_decoder("base", device="cpu", steps=6)
    clips = [np.zeros(16_000 * 3, np.float32), np.full(16_000 * 5, 0.01, np.float32)]
    results = decoder.decode(clips)
    assert [len(r.tokens) for r in results] == [6, 6]
    assert all(r.text == "" and 0.0 <= r.confidence <= 1.0 for r in results)
    assert "speed only" in SPEED_ONLY


def test_unknown_architecture_fails_before_allocating() -> None:
    with pytest.raises(ConfigError, match="unknown Whisper architecture"):
        build_speed_model("gigantic")


@pytest.mark.slow
@pytest.mark.parametrize(("arch", "billions"), [("large-v3", 1.54), ("large-v3-turbo", 0.81)])
def test_large_speed_models(arch: str, billions: float) -> None:
    model = build_speed_model(arch, device="cpu", dtype="bfloat16")
    params = sum(p.numel() for p in model.parameters()) / 1e9
    assert params == pytest.approx(billions, rel=0.02)
    assert model.config.num_mel_bins == 128


def test_gpu_path_needs_no_ctranslate2_faster_whisper_or_opencc() -> None:
    """The GPU benchmark machine may lack these; the speed path must not import them."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "for m in ('faster_whisper', 'ctranslate2', 'opencc', 'av', 'onnxruntime'):\n"
        "    sys.modules[m] = None\n"
        "import benchmarks.gpu.run_gpu_bench\n"
        "from monitor.engines.torch_whisper import build_speed_model\n"
        "build_speed_model('base')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
