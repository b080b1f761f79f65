"""The speaker encoder on onnxruntime against the former one on torch, each in its own process, in one run.

    python -m benchmarks.speed.speaker_encoder [--seconds 600] [--repeat 3]

:class:`~monitor.observations.speaker_embed.Ge2eEncoder` runs Resemblyzer's GE2E weights as an ONNX
graph on onnxruntime (:mod:`monitor.engines.ge2e_onnx`); before, it loaded them into torch's
``nn.LSTM`` (:class:`TorchGe2e` below, the baseline, as it was). Each engine tells the speaker turns of
the demo room's audio looped to ``--seconds`` (one thread, one second fed at a time, as a scan does) in
a fresh process, the engines alternately, ``--repeat`` times. Per engine (medians): CPU seconds to
import and load, memory the load adds to the process (RSS), CPU seconds per minute of audio for the
turns, and whether the turns came out the same as the baseline's. Writes
``benchmarks/results/speaker_encoder.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import RESULTS_DIR, write_results
from benchmarks.suite.machine import describe_machine, load_average
from monitor.observations.speaker_embed import EMBED_DIM, N_MELS, SpeakerEncoder, _weights_path

__all__ = ["TorchGe2e", "main"]

ENGINES = ("torch", "onnxruntime")


class TorchGe2e:
    """The encoder as it was: the weights in torch's ``nn.LSTM`` and ``nn.Linear``, on one torch thread."""

    name = "resemblyzer-ge2e:0.1.4 (torch)"

    def __init__(self, batch: int = 64) -> None:
        import torch
        from torch import nn

        torch.set_num_threads(1)
        state = torch.load(_weights_path(), map_location="cpu", weights_only=True)["model_state"]
        self.lstm = nn.LSTM(N_MELS, 256, 3, batch_first=True)
        self.linear = nn.Linear(256, EMBED_DIM)
        self.lstm.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("lstm.")})
        self.linear.load_state_dict({k[7:]: v for k, v in state.items() if k.startswith("linear.")})
        self.torch, self.batch = torch, batch

    def embed(self, windows: np.ndarray) -> np.ndarray:
        torch = self.torch
        if not len(windows):
            return np.zeros((0, EMBED_DIM), np.float32)
        out = []
        with torch.inference_mode():
            for begin in range(0, len(windows), self.batch):
                _, (hidden, _) = self.lstm(torch.from_numpy(np.ascontiguousarray(windows[begin:begin + self.batch])))
                raw = torch.relu(self.linear(hidden[-1]))
                out.append(raw / torch.clamp(torch.linalg.vector_norm(raw, dim=1, keepdim=True), min=1e-9))
        return torch.cat(out).numpy().astype(np.float32)


def _rss_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def _demo_audio(seconds: float) -> np.ndarray:
    from monitor.demo.cache import demo_stream
    from monitor.media.decode import DecodeOptions, DecodeReport, iter_media, join_audio
    from monitor.media.types import AudioPCM
    from monitor.sources.open import open_source

    with open_source(str(demo_stream()[0])) as container:
        chunks = [c for c in iter_media(container, DecodeOptions(video=False), DecodeReport())
                  if isinstance(c, AudioPCM)]
    once = join_audio(chunks).samples
    return np.tile(once, int(np.ceil(seconds * 16_000 / once.size)))[: int(seconds * 16_000)]


def child(engine: str, seconds: float) -> dict[str, Any]:
    """One engine in this process: load, then the turns of ``seconds`` of the demo room."""
    from monitor.media.types import SAMPLE_RATE, AudioPCM
    from monitor.observations.speaker_embed import Ge2eEncoder
    from monitor.observations.speaker_turns import SpeakerTurnsBuilder

    audio = _demo_audio(seconds)
    import onnxruntime  # noqa: F401  # loaded by every scan already (Silero VAD, OCR): not the encoder's cost

    rss, cpu = _rss_mib(), time.process_time()
    encoder: SpeakerEncoder = TorchGe2e() if engine == "torch" else Ge2eEncoder(threads=1)
    encoder.embed(np.zeros((1, 100, N_MELS), np.float32))  # the onnxruntime encoder loads at its first use
    load_cpu, load_rss = time.process_time() - cpu, _rss_mib() - rss
    cpu = time.process_time()
    builder = SpeakerTurnsBuilder(encoder)
    for at in range(0, audio.size, SAMPLE_RATE):
        builder.feed(AudioPCM(audio[at : at + SAMPLE_RATE], start=at / SAMPLE_RATE))
    turns = builder.result()
    return {"engine": engine, "load_cpu_s": round(load_cpu, 3), "load_rss_mib": round(load_rss, 1),
            "turns_cpu_s_per_min": round((time.process_time() - cpu) / (seconds / 60), 3),
            "turns": [[round(t.start, 2), round(t.end, 2), t.speaker] for t in turns.turns]}


def _run_child(engine: str, seconds: float) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "benchmarks.speed.speaker_encoder", "--child", engine,
                          "--seconds", str(seconds)], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2], env={**os.environ, "OMP_NUM_THREADS": "1"})
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def measure(seconds: float, repeat: int) -> dict[str, Any]:
    before = load_average()
    runs: dict[str, list[dict[str, Any]]] = {e: [] for e in ENGINES}
    for _ in range(repeat):
        for engine in ENGINES:
            runs[engine].append(_run_child(engine, seconds))
    base = runs["torch"][0]["turns"]
    rows = []
    for engine in ENGINES:
        row = {key: statistics.median(r[key] for r in runs[engine])
               for key in ("load_cpu_s", "load_rss_mib", "turns_cpu_s_per_min")}
        rows.append({"engine": engine, **row, "runs": [{k: v for k, v in r.items() if k != "turns"}
                                                       for r in runs[engine]],
                     "same_turns": all(r["turns"] == base for r in runs[engine]), "turns": len(base)})
    torch_row = rows[0]
    for row in rows:
        for key in ("load_cpu_s", "load_rss_mib", "turns_cpu_s_per_min"):
            row[f"{key}_vs_torch"] = round(row[key] / torch_row[key], 3) if torch_row[key] else None
    return {"command": " ".join(["python -m benchmarks.speed.speaker_encoder", *sys.argv[1:]]),
            "machine": describe_machine("cpu"), "load_average": {"before": before, "after": load_average()},
            "seconds": seconds, "repeat": repeat, "rows": rows}


def _markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        "# The speaker encoder: onnxruntime against torch",
        "",
        f"Command: `{result['command']}`. Machine: {m['cpu']}, {m['cores']} cores; load average before "
        f"{result['load_average']['before']}, after {result['load_average']['after']}. The demo room's audio "
        f"looped to {result['seconds']:g} s; each engine in a fresh process, one thread, alternately "
        f"{result['repeat']} times (medians).",
        "",
        "| engine | import + load, CPU s | vs torch | RSS the load adds, MiB | vs torch | turns, CPU s per min of "
        "audio | vs torch | turns as torch's |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['engine']} | {r['load_cpu_s']:.2f} | {r['load_cpu_s_vs_torch']:.2f}x | {r['load_rss_mib']:.0f} | "
            f"{r['load_rss_mib_vs_torch']:.2f}x | {r['turns_cpu_s_per_min']:.3f} | "
            f"{r['turns_cpu_s_per_min_vs_torch']:.2f}x | {'yes' if r['same_turns'] else 'no'} ({r['turns']} turns) |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> dict[str, Any] | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="seconds of audio (the demo room looped)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "speaker_encoder")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.seconds)))
        return None
    result = measure(args.seconds, args.repeat)
    markdown = _markdown(result)
    write_results(args.out, result, markdown)
    print(markdown)
    return result


if __name__ == "__main__":
    main()
