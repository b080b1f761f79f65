"""Batched transcription for scans: faster-whisper's plain and batched readers against livemon's, in one run.

    python -m benchmarks.speed.asr_batched [--limit 300] [--demo-loops 0] [--peer-batches 4 8 16]
                                           [--livemon-batches 4 8 16] [--no-today] [--repeat 1]

On one recording, in one process and one run, with the same Whisper model (embedded base,
int8, beam 1, Silero VAD, livemon's initial prompt, one CPU thread per core for everyone):

- ``transcribe``: faster-whisper's ``WhisperModel.transcribe``, one 30 s window after another;
- ``peer bN``: faster-whisper's ``BatchedInferencePipeline`` at batch N with timestamps (the
  segment times a finding needs), and at batch 8 as it comes (``without_timestamps``: one
  segment per 30 s chunk);
- ``livemon bN``: livemon's batched scan reader (``asr_batch_size`` N: VAD-cut chunks in a 15 s
  window, unread tails decoded again, segments re-cut at sentence ends), fed as a scan feeds it,
  and at batch 8 with other windows (``--livemon-windows``, 30 s by default);
- in their own processes, model load included, timed end to end: the peer's script (batch 8)
  and ``livemon scan`` of the recording as an audio-only WAV (default settings, and with
  ``asr_batch_size: 0``, the path before batching, unless ``--no-today``); with ``--repeat N`` these
  run N times in turn and their rows give the median (every run's wall time kept).

The recording is the claims test split's sentences in the benchmark voice, read from the TTS
cache (nothing is voiced here; ``--limit`` caps them), joined by 0.6 s pauses; ``--demo-loops N``
adds the demo room looped N times. Each row gives wall and CPU seconds and their ratio to the
peer at batch 8 (with timestamps) in the same run, CER (after livemon's Simplified-Chinese
cleanup, for every reader) and, from the findings the product makes of each transcript,
spoken-claims micro F1 and clean flagged (see :mod:`benchmarks.speed.asr_rooms`). Writes
``benchmarks/results/asr_batched.{json,md}``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import RESULTS_DIR, write_results
from benchmarks.claims.corpus import load_corpus
from benchmarks.speed.asr_rooms import Room, claims_room, demo_room, score_transcript, write_wav
from benchmarks.suite.machine import describe_machine, load_average
from monitor.detectors.claims import ClaimEngine
from monitor.detectors.marketing import speech_findings
from monitor.engines.whisper_weights import resolve_asr_model
from monitor.media.types import SAMPLE_RATE, AudioPCM
from monitor.observations.asr import AsrOptions, FasterWhisperAsr, transcript_text
from monitor.observations.chunked_asr import ChunkedTranscriber
from monitor.observations.types import TranscriptSegment

__all__ = ["main", "measure_room"]

REPO = Path(__file__).resolve().parents[2]
Segments = list[tuple[float, float, str]]

PEER_SCRIPT = """
import sys
from faster_whisper import BatchedInferencePipeline, WhisperModel, decode_audio
wav, model, batch, timestamps, threads, prompt = sys.argv[1:7]
whisper = WhisperModel(model, device="cpu", compute_type="int8", cpu_threads=int(threads), local_files_only=True)
segments, _ = BatchedInferencePipeline(whisper).transcribe(
    decode_audio(wav), language="zh", beam_size=1, batch_size=int(batch), without_timestamps=timestamps == "0",
    initial_prompt=prompt, vad_filter=True)
print(sum(1 for _ in segments))
"""
"""What a user who only wants transcripts would run: faster-whisper alone, in its own process."""


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _plain(asr: FasterWhisperAsr) -> Callable[[Room], Segments]:
    def read(room: Room) -> Segments:
        return [(s.start, s.end, s.text) for s in asr.transcribe(AudioPCM(room.samples))]

    return read


def _peer(asr: FasterWhisperAsr, batch: int, timestamps: bool) -> Callable[[Room], Segments]:
    from faster_whisper import BatchedInferencePipeline

    def read(room: Room) -> Segments:
        segments, _ = BatchedInferencePipeline(asr.model).transcribe(
            room.samples, language="zh", beam_size=1, batch_size=batch, without_timestamps=not timestamps,
            initial_prompt=asr.prompt.text, vad_filter=True,
        )
        return [(s.start, s.end, transcript_text(s.text)) for s in segments]

    return read


def _livemon(asr: FasterWhisperAsr, batch: int, window: float) -> Callable[[Room], Segments]:
    engine = asr.sharing_model(batch_size=batch, window_s=window)

    def read(room: Room) -> Segments:
        transcriber = ChunkedTranscriber(engine)
        step = SAMPLE_RATE  # one second at a time, as decoded audio arrives
        for at in range(0, room.samples.size, step):
            transcriber.feed(AudioPCM(room.samples[at : at + step], start=at / SAMPLE_RATE))
        return [(s.start, s.end, s.text) for s in transcriber.finish()]

    return read


def _findings(claims: ClaimEngine, segments: Segments) -> list[dict[str, Any]]:
    transcript = [TranscriptSegment(a, b, text) for a, b, text in segments]
    return [
        {"start": f.start, "end": f.end, "category": f.category, "risk": f.risk, "source": f.source}
        for f in speech_findings(transcript, claims)
    ]


def _in_process(name: str, read: Callable[[Room], Segments], room: Room, claims: ClaimEngine) -> dict[str, Any]:
    print(f"  {name} …", flush=True)
    wall, cpu = time.perf_counter(), time.process_time()
    segments = read(room)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"reader": name, "process": False, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            **score_transcript(room, segments, _findings(claims, segments))}


def _process(name: str, command: Sequence[str], room: Room, findings: Path | None) -> dict[str, Any]:
    print(f"  {name} …", flush=True)
    wall, cpu = time.perf_counter(), _cpu_children()
    subprocess.run(list(command), check=True, capture_output=True, cwd=REPO)
    wall, cpu = time.perf_counter() - wall, _cpu_children() - cpu
    row: dict[str, Any] = {"reader": name, "process": True, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2)}
    if findings is not None:
        lines = findings.read_text(encoding="utf-8").splitlines()
        scored = score_transcript(room, [], [json.loads(line) for line in lines if line.strip()])
        row.update({k: v for k, v in scored.items() if k not in ("cer", "segments")})
    return row


def _scan(room: Room, wav: Path, folder: Path, name: str, batch: int | None) -> dict[str, Any]:
    config = folder / f"{name}.yaml"
    config.write_text(f"asr_batch_size: {batch}\n" if batch is not None else "{}\n", encoding="utf-8")
    out = folder / f"{name}.jsonl"
    command = [sys.executable, "-m", "monitor.cli", "scan", str(wav), "--out", str(out), "--config", str(config)]
    return _process(name, command, room, out)


def measure_room(room: Room, asr: FasterWhisperAsr, claims: ClaimEngine, args: argparse.Namespace) -> dict[str, Any]:
    """Every reader on ``room``; each row's ratios are against the peer at batch 8 of the same kind."""
    from monitor.config import load_options

    print(f"{room.name}: {room.seconds:.0f} s, {len(room.sentences)} sentences", flush=True)
    _plain(asr)(Room(room.name, room.samples[: 10 * SAMPLE_RATE], room.sentences[:1]))  # warm-up
    rows = [_in_process("transcribe", _plain(asr), room, claims)]
    rows += [_in_process(f"peer b{n}", _peer(asr, n, True), room, claims) for n in args.peer_batches]
    rows.append(_in_process("peer b8, no timestamps (its default)", _peer(asr, 8, False), room, claims))
    window = AsrOptions().window_s
    rows += [_in_process(f"livemon b{n}", _livemon(asr, n, window), room, claims) for n in args.livemon_batches]
    rows += [_in_process(f"livemon b8, {w:g} s window", _livemon(asr, 8, w), room, claims)
             for w in args.livemon_windows if w != window]
    with tempfile.TemporaryDirectory(prefix="asr-batched-") as scratch:
        folder = Path(scratch)
        wav = write_wav(room, folder / "room.wav")
        model, threads = str(resolve_asr_model("embedded:base")), str(os.cpu_count() or 1)
        runs: list[Callable[[], dict[str, Any]]] = []
        for timestamps in ("1", "0"):
            label = "peer b8 script" + ("" if timestamps == "1" else ", no timestamps")
            command = [sys.executable, "-c", PEER_SCRIPT, str(wav), model, "8", timestamps, threads, asr.prompt.text]
            runs.append(functools.partial(_process, label, command, room, None))
        default = load_options().asr_batch_size
        runs.append(functools.partial(_scan, room, wav, folder, f"livemon scan (asr_batch_size {default})", None))
        if args.today:
            runs.append(functools.partial(_scan, room, wav, folder, "livemon scan (asr_batch_size 0, before)", 0))
        rows += _medians([[run() for run in runs] for _ in range(args.repeat)])
    _ratios(rows)
    return {"room": room.name, "seconds": round(room.seconds, 1), "sentences": len(room.sentences),
            "with_claims": sum(bool(s.labels) for s in room.sentences), "default_batch": default, "rows": rows,
            "target": _target(rows, default)}


def _medians(rounds: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per process reader from rounds that ran them in turn: the median wall and CPU, every run's
    wall kept (``wall_runs``)."""
    rows = []
    for runs in zip(*rounds, strict=True):
        row = dict(runs[0])
        row["wall_s"] = round(statistics.median(r["wall_s"] for r in runs), 2)
        row["cpu_s"] = round(statistics.median(r["cpu_s"] for r in runs), 2)
        if len(runs) > 1:
            row["wall_runs"] = [r["wall_s"] for r in runs]
        rows.append(row)
    return rows


def _ratios(rows: list[dict[str, Any]]) -> None:
    for process in (False, True):
        base = next(r for r in rows if r["process"] == process and r["reader"] in ("peer b8", "peer b8 script"))
        for r in rows:
            if r["process"] == process:
                r["wall_vs_peer_b8"] = round(r["wall_s"] / base["wall_s"], 2)
                r["cpu_vs_peer_b8"] = round(r["cpu_s"] / base["cpu_s"], 2)


def _target(rows: list[dict[str, Any]], default: int) -> dict[str, Any]:
    """The issue's target: the scan at most 1.0x the peer's script (batch 8), spoken-claims F1 no worse than before."""
    by = {r["reader"]: r for r in rows}
    scan = by[f"livemon scan (asr_batch_size {default})"]
    before = by.get("livemon scan (asr_batch_size 0, before)") or by["transcribe"]
    out = {
        "scan_wall_vs_peer_script": round(scan["wall_s"] / by["peer b8 script"]["wall_s"], 3),
        "scan_cpu_vs_peer_script": round(scan["cpu_s"] / by["peer b8 script"]["cpu_s"], 2),
        "scan_wall_vs_peer_script_no_timestamps": round(
            scan["wall_s"] / by["peer b8 script, no timestamps"]["wall_s"], 2),
        "scan_f1": scan["micro_f1"],
        "before_f1": before["micro_f1"],
        "before": before["reader"],
    }
    out["met"] = scan["wall_s"] <= by["peer b8 script"]["wall_s"] and out["scan_f1"] >= out["before_f1"]
    if "wall_runs" in scan:  # each round runs the peer and the scan within a minute: slow drift cancels in the ratio
        rounds = [a / b for a, b in zip(scan["wall_runs"], by["peer b8 script"]["wall_runs"], strict=True)]
        out["scan_wall_vs_peer_script_by_round"] = [round(r, 3) for r in rounds]
        out["scan_wall_vs_peer_script_round_median"] = round(statistics.median(rounds), 3)
    return out


def _cell(value: Any, fmt: str = "{}") -> str:
    return "–" if value is None else fmt.format(value)


def _markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        "# Batched transcription for scans",
        "",
        f"Command: `{result['command']}`. Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; "
        f"load average before {result['load_before']}, after {result['load_after']}"
        f"{' (a shared, busy machine: wall times are indicative, CPU seconds steadier)' if result['busy'] else ''}. "
        f"The claims room holds {result['claims_voiced']} of the test split's {result['claims_split']} sentences "
        "(those in the TTS cache). "
        "Embedded Whisper base, int8, beam 1, Silero VAD, livemon's initial prompt, one CPU thread per core for "
        "every reader. Ratios are to the peer at batch 8 with timestamps of the same kind (in this process, or "
        "its own script), in the same run. CER after livemon's Simplified-Chinese cleanup for every reader.",
        "",
    ]
    for room in result["rooms"]:
        t = room["target"]
        lines += [
            f"## {room['room']}: {room['seconds']} s, {room['sentences']} sentences "
            f"({room['with_claims']} with a claim)",
            "",
            "| reader | own process | wall s | CPU s | wall vs peer b8 | CPU vs peer b8 | CER | micro F1 "
            "| clean flagged | segments |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            *(
                f"| {r['reader']} | {'yes' if r['process'] else 'no'} | {r['wall_s']} | {r['cpu_s']} | "
                f"{r['wall_vs_peer_b8']:.2f}x | {r['cpu_vs_peer_b8']:.2f}x | {_cell(r.get('cer'), '{:.3f}')} | "
                f"{_cell(r.get('micro_f1'), '{:.3f}')} | {_cell(r.get('clean_flagged'), '{:.1%}')} | "
                f"{_cell(r.get('segments'))} |"
                for r in room["rows"]
            ),
            "",
            *(
                [
                    "Rows in their own processes: the median of runs taken in turn; wall seconds of each run: "
                    + "; ".join(f"{r['reader']} {', '.join(map(str, r['wall_runs']))}"
                                for r in room["rows"] if "wall_runs" in r) + ".",
                    "",
                ]
                if any("wall_runs" in r for r in room["rows"]) else []
            ),
            f"Target (`livemon scan` ≤ 1.0x the peer's batch-8 script, model load included; F1 no worse than "
            f"{t['before']}): wall **{t['scan_wall_vs_peer_script']:.3f}x** (CPU {t['scan_cpu_vs_peer_script']:.2f}x; "
            f"against the peer without timestamps {t['scan_wall_vs_peer_script_no_timestamps']:.2f}x), F1 "
            f"{t['scan_f1']:.3f} against {t['before_f1']:.3f}: **{'met' if t['met'] else 'not met'}**."
            + (f" Round by round (the scan over the peer's script of the same round): "
               f"{', '.join(f'{r:.3f}x' for r in t['scan_wall_vs_peer_script_by_round'])}, median "
               f"**{t['scan_wall_vs_peer_script_round_median']:.3f}x**." if "scan_wall_vs_peer_script_by_round" in t
               else ""),
            "",
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=300, help="claims sentences (0: every one voiced so far)")
    parser.add_argument("--demo-loops", type=int, default=0, help="also the demo room looped this many times")
    parser.add_argument("--peer-batches", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--livemon-batches", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--livemon-windows", type=float, nargs="*", default=[30.0],
                        help="also livemon at batch 8 with these windows (seconds, ≤ 30)")
    parser.add_argument("--no-today", dest="today", action="store_false",
                        help="skip `livemon scan` with asr_batch_size 0 (the path before batching)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the readers in their own processes this many times, in turn (medians reported)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if 8 not in args.peer_batches:
        parser.error("--peer-batches must include 8: it is the baseline of every ratio")
    from monitor.pipeline.engines import build_claim_engine

    load_before = load_average()
    rooms: list[Room] = []
    claims_audio, voiced = claims_room(args.limit)
    if claims_audio.sentences:
        rooms.append(claims_audio)
    if args.demo_loops:
        rooms.append(demo_room(args.demo_loops))
    if not rooms:
        parser.error("no voiced claims sentence in the TTS cache: run `python -m benchmarks.claims.asr_noisy` "
                     "first, or pass --demo-loops N")
    asr, claims = FasterWhisperAsr(), build_claim_engine()
    measured = [measure_room(room, asr, claims, args) for room in rooms]
    load_after = load_average()
    result = {
        "command": " ".join(["python -m benchmarks.speed.asr_batched", *(sys.argv[1:] if argv is None else argv)]),
        "machine": describe_machine("cpu"),
        "load_before": load_before,
        "load_after": load_after,
        "busy": max(load_before[0], load_after[0]) > 0.5 * (os.cpu_count() or 1),
        "claims_voiced": voiced,
        "claims_split": len(load_corpus("test")),
        "rooms": measured,
    }
    markdown = _markdown(result)
    write_results(args.out / "asr_batched", result, markdown)
    print(markdown)
    return result


if __name__ == "__main__":
    main()
