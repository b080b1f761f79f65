"""Memory: the process's peak RSS (after each section and overall) and, on CUDA, PyTorch's peak."""

from __future__ import annotations

import resource
import sys
from typing import Any

from benchmarks.suite.report import Section, Table

__all__ = ["cuda_peak_mib", "memory_section", "peak_rss_mib"]


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def cuda_peak_mib() -> float | None:
    """PyTorch's peak CUDA allocation when torch is loaded and sees a GPU; None otherwise."""
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available():
        return None
    return round(torch.cuda.max_memory_allocated() / 2**20, 1)


def memory_section(after_section: dict[str, float], device: str) -> Section:
    """``after_section``: peak RSS (MiB) read after each earlier section, in order."""
    peak = peak_rss_mib()
    cuda = cuda_peak_mib()
    rows = [(f"after {name}", f"{mib:.0f}") for name, mib in after_section.items()]
    rows.append(("whole suite", f"{peak:.0f}"))
    notes = [
        "peak RSS via resource.getrusage (the suite process: shared engines, plus the scan benchmark's own "
        "engines and the digital-human face models); it only grows, so each row includes the ones above"
    ]
    if device == "cuda":
        notes.append(
            "CUDA peak: " + ("not measured (PyTorch not loaded; CTranslate2 allocations are not visible to it)"
                             if cuda is None else f"{cuda:.0f} MiB allocated by PyTorch (CTranslate2 not counted)")
        )
    else:
        notes.append("CUDA peak: not applicable (CPU run)")
    data: dict[str, Any] = {"peak_rss_mib": peak, "peak_rss_after_section_mib": after_section, "cuda_peak_mib": cuda}
    return Section("memory", "ok", data, (Table("Peak RSS, MiB", ("when", "MiB"), tuple(rows)),), tuple(notes))
