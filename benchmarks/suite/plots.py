"""PNG plots of the suite's results (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["latency_plot", "throughput_plot"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def latency_plot(rooms: dict[str, Any], path: Path) -> Path:
    """p50 and p95 latency against room count, speech and screen, with the keep bound."""
    plt = _pyplot()
    runs = rooms["runs"]
    counts = [r["rooms"] for r in runs]
    fig, ax = plt.subplots(figsize=(6, 4))
    for kind, colour in (("speech", "tab:blue"), ("screen", "tab:orange")):
        ax.plot(counts, [r[kind]["p95"] for r in runs], "o-", color=colour, label=f"{kind} p95")
        ax.plot(counts, [r[kind]["p50"] for r in runs], "o--", color=colour, alpha=0.6, label=f"{kind} p50")
    ax.axhline(rooms["options"]["rule"]["max_p95_s"], color="grey", linestyle=":", label="p95 bound")
    ax.set_xlabel("rooms")
    ax.set_ylabel("latency to findings, s")
    ax.set_xticks(counts)
    ax.set_title(f"Latency vs rooms (largest kept: {rooms['max_kept']})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def throughput_plot(throughput: dict[str, Any], path: Path) -> Path:
    """Bars: scan vs plain faster-whisper (× real time), OCR gated vs every frame (seconds)."""
    plt = _pyplot()
    scan, ocr = throughput["scan"], throughput["ocr"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.5))
    speeds = [scan["scan"]["x_realtime"], scan["baseline_faster_whisper"]["x_realtime"]]
    left.bar(["full scan", "faster-whisper"], speeds, color=["tab:blue", "tab:grey"])
    left.set_ylabel("× real time (higher is faster)")
    left.set_title("Scan vs baseline")
    right.bar(["change gate", "every frame"], [ocr["gated_seconds"], ocr["every_frame_seconds"]],
              color=["tab:blue", "tab:grey"])
    right.set_ylabel(f"seconds for {ocr['frames']} frames (lower is faster)")
    right.set_title("OCR")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
