"""Rooms kept in real time per device by the batched PyTorch Whisper path — speed only.

Builds a random-weight Whisper of a named architecture on the device (no download,
nothing large to copy), then measures:

1. capacity: utterances queued at once through the :class:`BatchScheduler`, batched
   (``--max-batch``) and one by one, and their ratio;
2. live rooms: N rooms speaking 3–8 s utterances in real time; latency from the end
   of an utterance to its result (p50/p95), for N around the capacity estimate (or
   ``--rooms``); the largest N whose p95 stays under ``--max-latency`` is reported;
3. peak memory (CUDA allocator, or the process RSS on the CPU).

Results go to ``<out>/rooms-<arch>-<device>.json`` and ``.md``. Needs only torch,
transformers, numpy and this repository::

    python -m benchmarks.gpu.run_gpu_bench                       # GPU, large-v3-turbo
    python -m benchmarks.gpu.run_gpu_bench --device cpu --arch base --rooms 2 --seconds 20
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

import torch

from benchmarks.gpu.measure import Capacity, LiveRun, measure_capacity, run_live
from benchmarks.gpu.report import as_dict, markdown, write_results
from benchmarks.gpu.traffic import TrafficOptions, room_schedule, speech_buffer, utterance_audio
from monitor.engines.torch_whisper import ARCHITECTURES, SPEED_ONLY, DecodeOptions, WhisperDecoder, speed_decoder
from monitor.scheduling import SchedulerOptions

_LIVE_FRACTIONS = (0.5, 0.75, 1.0, 1.25)


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu (default cuda)")
    p.add_argument("--arch", default="large-v3-turbo", choices=ARCHITECTURES)
    p.add_argument("--dtype", default="auto", help="auto (float16 on CUDA), float16, bfloat16, float32")
    p.add_argument("--rooms", default="auto", help="'auto' (around the capacity estimate) or a list: 8,16,32")
    p.add_argument("--seconds", type=float, default=30.0, help="length of each live run")
    p.add_argument("--max-batch", type=int, default=0, help="scheduler batch bound (default 32 on CUDA, 2 on CPU)")
    p.add_argument("--max-wait", type=float, default=0.1, help="scheduler deadline in seconds")
    p.add_argument("--max-latency", type=float, default=2.0, help="p95 latency (s) a room may see to count as kept")
    p.add_argument("--steps", type=int, default=32, help="decoder steps per utterance (≈ tokens of 6 s of Mandarin)")
    p.add_argument("--capacity-items", type=int, default=0, help="utterances in the capacity run (default 4×batch)")
    p.add_argument("--max-rooms", type=int, default=1024)
    p.add_argument("--static-cache", action="store_true", help="static KV cache (transformers compiles the step)")
    p.add_argument("--compile-encoder", action="store_true", help="torch.compile the encoder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("benchmarks/results/gpu"))
    return p.parse_args(argv)


def _warm_up(decoder: WhisperDecoder, max_batch: int, traffic: TrafficOptions) -> None:
    buffer = speech_buffer(traffic.seed)
    clip = utterance_audio(buffer, room_schedule(1, 30.0, traffic)[0])
    decoder.decode([clip] * max_batch)
    decoder.decode([clip])


def _peak_memory(device: torch.device) -> tuple[float, str]:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**30, "CUDA max allocated"
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, "process max RSS"


def _room_counts(spec: str, batched: Capacity, traffic: TrafficOptions, cap: int) -> list[int]:
    if spec != "auto":
        return sorted({int(n) for n in spec.split(",")})
    estimate = batched.utterances_per_s * traffic.mean_period_s
    return sorted({min(cap, max(1, round(estimate * f))) for f in _LIVE_FRACTIONS})


def _live_runs(
    decoder: WhisperDecoder, counts: list[int], a: argparse.Namespace, sched: SchedulerOptions, traffic: TrafficOptions
) -> list[LiveRun]:
    runs: list[LiveRun] = []
    for rooms in counts:
        run = run_live(decoder.decode, rooms, a.seconds, sched, traffic, a.max_latency)
        runs.append(run)
        print(
            f"  {rooms} rooms: p50 {run.latency_p50:.2f} s, p95 {run.latency_p95:.2f} s, "
            f"mean batch {run.mean_batch:.1f}, kept up: {run.keeps_up}",
            flush=True,
        )
        if not run.keeps_up:
            break  # more rooms will not keep up either
    return runs


def main(argv: list[str] | None = None) -> dict[str, Any]:
    a = _args(argv)
    from transformers import __version__ as transformers_version
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    device = torch.device(a.device)
    max_batch = a.max_batch or (32 if device.type == "cuda" else 2)
    traffic = TrafficOptions(seed=a.seed)
    print(f"[{SPEED_ONLY}] building random-weight {a.arch} on {a.device}", flush=True)
    started = time.monotonic()
    options = DecodeOptions(static_cache=a.static_cache, compile_encoder=a.compile_encoder)
    decoder = speed_decoder(a.arch, a.device, a.dtype, a.steps, options)
    build_s = time.monotonic() - started
    _warm_up(decoder, max_batch, traffic)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    items = a.capacity_items or (4 if device.type == "cuda" else 2) * max_batch
    batched = measure_capacity(decoder.decode, max_batch, items, traffic)
    single = measure_capacity(decoder.decode, 1, max(2, items // 4), traffic)
    print(
        f"  capacity: batched {batched.utterances_per_s:.2f} utt/s ({batched.x_realtime:.1f}× real time), "
        f"one by one {single.utterances_per_s:.2f} utt/s",
        flush=True,
    )
    sched = SchedulerOptions(max_batch=max_batch, max_wait_s=a.max_wait)
    live = _live_runs(decoder, _room_counts(a.rooms, batched, traffic, a.max_rooms), a, sched, traffic)
    peak, peak_kind = _peak_memory(device)
    setup = {
        "label": SPEED_ONLY,
        "arch": a.arch,
        "device_kind": device.type,
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu",
        "dtype": str(decoder.dtype).removeprefix("torch."),
        "steps": a.steps,
        "max_batch": max_batch,
        "max_wait_s": a.max_wait,
        "max_latency_s": a.max_latency,
        "seconds": a.seconds,
        "static_cache": a.static_cache,
        "compile_encoder": a.compile_encoder,
        "traffic": {"min_utterance_s": traffic.min_utterance_s, "max_utterance_s": traffic.max_utterance_s,
                    "min_pause_s": traffic.min_pause_s, "max_pause_s": traffic.max_pause_s, "seed": traffic.seed},
        "build_s": build_s,
        "torch": torch.__version__,
        "transformers": transformers_version,
        "python": platform.python_version(),
        "peak_memory_gib": peak,
        "peak_memory_kind": peak_kind,
    }
    result = as_dict(setup, batched, single, live)
    json_path, md_path = write_results(result, a.out)
    print(markdown(result))
    print(f"wrote {json_path} and {md_path}", flush=True)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
