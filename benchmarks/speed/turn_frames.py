"""Speaker turns' mel frames with and without BLAS, in one run.

    python -m benchmarks.speed.turn_frames [--limit 40] [--repeat 2]

:class:`~monitor.observations.speaker_turns.SpeakerTurnsBuilder` makes 40-band mel frames of
every 1 s window, 0.5 s apart. The projection onto the filterbank was a matrix product
(``power @ filterbank.T``, 101 x 201 by 201 x 40), which numpy hands to OpenBLAS; OpenBLAS
wakes its threads (one per core) for it, and they spin after every window on the cores Whisper
decodes on. :func:`~monitor.observations.speaker_embed.mel_frames` now uses ``np.einsum``,
which stays on the calling thread. Here the builder (GE2E encoder on one torch thread, as a
scan uses it) reads the same audio with each, alternately, ``--repeat`` times; each row gives
process CPU and wall seconds per minute of audio, the ratio to the former product in the same
run, and whether the speaker turns came out the same. The audio is the claims test split's
sentences in the benchmark voice (from the TTS cache, ``--limit`` of them), joined by pauses.
Writes ``benchmarks/results/turn_frames.{json,md}``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

from benchmarks import RESULTS_DIR, write_results
from benchmarks.speed.asr_rooms import claims_room
from benchmarks.suite.machine import describe_machine, load_average
from monitor.media.types import SAMPLE_RATE, AudioPCM
from monitor.observations import speaker_turns
from monitor.observations.speaker_embed import HOP, N_FFT, N_MELS, Ge2eEncoder, _hann, mel_filterbank, mel_frames
from monitor.observations.turn_types import SpeakerTurns

__all__ = ["blas_mel_frames", "main"]


def blas_mel_frames(samples: np.ndarray) -> np.ndarray:
    """The former :func:`mel_frames`: the same frames, projected with ``@`` (OpenBLAS)."""
    padded = np.pad(samples.astype(np.float32), N_FFT // 2)
    count = 1 + (len(padded) - N_FFT) // HOP
    if count <= 0:
        return np.zeros((0, N_MELS), np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP][:count] * _hann()
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    return (power.astype(np.float32) @ mel_filterbank().T).astype(np.float32)


def _turns(samples: np.ndarray, encoder: Ge2eEncoder, frames: Callable[[np.ndarray], np.ndarray]) -> tuple[
        SpeakerTurns, float, float]:
    with mock.patch.object(speaker_turns, "mel_frames", frames):
        wall, cpu = time.perf_counter(), time.process_time()
        builder = speaker_turns.SpeakerTurnsBuilder(encoder)
        for at in range(0, samples.size, SAMPLE_RATE):  # one second at a time, as a scan feeds it
            builder.feed(AudioPCM(samples[at : at + SAMPLE_RATE], start=at / SAMPLE_RATE))
        turns = builder.result()
        return turns, time.perf_counter() - wall, time.process_time() - cpu


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=40, help="claims sentences voiced in the TTS cache")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    room, _ = claims_room(args.limit)
    if not room.sentences:
        parser.error("no voiced claims sentence in the TTS cache: run `python -m benchmarks.claims.asr_noisy` first")
    encoder = Ge2eEncoder(threads=1)
    load_before = load_average()
    readers = {"former (@, OpenBLAS)": blas_mel_frames, "einsum (mel_frames)": mel_frames}
    totals = {name: [0.0, 0.0] for name in readers}
    results: dict[str, SpeakerTurns] = {}
    for _ in range(args.repeat):
        for name, frames in readers.items():
            turns, wall, cpu = _turns(room.samples, encoder, frames)
            totals[name][0] += wall
            totals[name][1] += cpu
            results[name] = turns
    minutes = room.seconds / 60 * args.repeat
    base = totals["former (@, OpenBLAS)"]
    rows = [{"mel frames": name, "wall_s_per_min": round(wall / minutes, 3), "cpu_s_per_min": round(cpu / minutes, 3),
             "cpu_vs_former": round(cpu / base[1], 3), "wall_vs_former": round(wall / base[0], 3)}
            for name, (wall, cpu) in totals.items()]
    former, now = results.values()
    load_after = load_average()
    result = {
        "command": " ".join(["python -m benchmarks.speed.turn_frames", *(sys.argv[1:] if argv is None else argv)]),
        "machine": describe_machine("cpu"),
        "load_before": load_before,
        "load_after": load_after,
        "busy": max(load_before[0], load_after[0]) > 0.5 * (os.cpu_count() or 1),
        "audio_s": round(room.seconds, 1),
        "repeat": args.repeat,
        "rows": rows,
        "same_turns": former == now,
        "turns": len(now.turns),
    }
    lines = [
        "# Speaker turns' mel frames with and without BLAS",
        "",
        f"Command: `{result['command']}`. Machine: {result['machine']['cpu']}, {result['machine']['cores']} cores; "
        f"load average before {result['load_before']}, after {result['load_after']}"
        f"{' (a shared, busy machine: wall times are indicative)' if result['busy'] else ''}. "
        f"{result['audio_s']} s of the claims test split in the benchmark voice, read {args.repeat} times by each, "
        "alternately; the GE2E encoder on one torch thread, as a scan runs it.",
        "",
        "| mel frames | CPU s per min of audio | CPU vs former | wall s per min | wall vs former |",
        "|---|---:|---:|---:|---:|",
        *(f"| {r['mel frames']} | {r['cpu_s_per_min']} | {r['cpu_vs_former']:.2f}x | {r['wall_s_per_min']} | "
          f"{r['wall_vs_former']:.2f}x |" for r in rows),
        "",
        f"Speaker turns the same with both: **{'yes' if result['same_turns'] else 'no'}** ({result['turns']} turns).",
        "",
    ]
    markdown = "\n".join(lines)
    write_results(args.out / "turn_frames", result, markdown)
    print(markdown)
    return result


if __name__ == "__main__":
    main()
