"""``run_suite``: run the chosen sections, then write results.json, results.md and the plots."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.suite.accuracy import accuracy_section
from benchmarks.suite.context import SuiteContext, SuitePlan
from benchmarks.suite.machine import describe_machine, load_average
from benchmarks.suite.memory import memory_section, peak_rss_mib
from benchmarks.suite.plots import latency_plot, throughput_plot
from benchmarks.suite.realtime import capacity_dict, latency_section, rooms_section
from benchmarks.suite.report import Section, markdown, write_json, write_markdown
from benchmarks.suite.throughput import throughput_section
from monitor.pipeline.progress import ProgressHook, silent

__all__ = ["ALL", "SuiteResult", "command_line", "run_suite"]

ALL: tuple[str, ...] = ("accuracy", "throughput", "rooms", "latency", "memory")
_RUNNERS: dict[str, Callable[[SuiteContext], Section]] = {
    "accuracy": accuracy_section,
    "throughput": throughput_section,
    "rooms": rooms_section,
    "latency": latency_section,
}


@dataclass(frozen=True, slots=True)
class SuiteResult:
    """What the suite measured and the files it wrote."""

    out: Path
    quick: bool
    machine: dict[str, Any]
    sections: tuple[Section, ...]
    files: tuple[Path, ...]
    command: str

    def section(self, name: str) -> Section:
        return next(s for s in self.sections if s.name == name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "quick": self.quick,
            "command": self.command,
            "machine": self.machine,
            "sections": {
                s.name: {k: v for k, v in asdict(s).items() if k not in ("name", "tables")} for s in self.sections
            },
        }


def command_line(out: Path, quick: bool, sections: Sequence[str]) -> str:
    """The command that reproduces a run."""
    parts = ["python -m benchmarks.suite", f"--out {out}"]
    if quick:
        parts.append("--quick")
    if tuple(sections) != ALL:
        parts.append(f"--sections {','.join(sections)}")
    return " ".join(parts)


def _run_one(name: str, ctx: SuiteContext, peaks: dict[str, float], device: str) -> Section:
    load = load_average()
    started = time.monotonic()
    try:
        section = memory_section(dict(peaks), device) if name == "memory" else _RUNNERS[name](ctx)
        status, data, tables, notes = section.status, section.data, section.tables, section.notes
    except Exception as e:  # one broken section must not lose the others' figures
        status, data, tables, notes = "failed", {"error": repr(e)}, (), (f"failed: {e!r}",)
    peaks[name] = peak_rss_mib()
    return Section(name, status, data, tables, notes, round(time.monotonic() - started, 1), load)


def _plots(sections: dict[str, Section], ctx: SuiteContext, out: Path) -> list[Path]:
    """Latency vs rooms when the rooms run happened, throughput bars when that section ran."""
    files = []
    if any(n in sections and sections[n].status == "ok" for n in ("rooms", "latency")):
        files.append(latency_plot(capacity_dict(ctx.rooms), out / "latency_vs_rooms.png"))
    if "throughput" in sections and sections["throughput"].status == "ok":
        files.append(throughput_plot(sections["throughput"].data, out / "throughput.png"))
    return files


def run_suite(
    out: Path, *, quick: bool = False, sections: Sequence[str] = ALL, hook: ProgressHook | None = None
) -> SuiteResult:
    """Run ``sections`` (any of :data:`ALL`, in that order) on the demo stream and write the results under ``out``.

    ``quick`` shrinks every section to about two minutes in all, for tests. ``hook(stage,
    completed, total)`` reports progress; ``stage`` is the section's name.
    """
    unknown = [s for s in sections if s not in ALL]
    if unknown:
        raise ValueError(f"unknown section(s) {unknown}; choose from {list(ALL)}")
    from monitor.demo.cache import demo_stream
    from monitor.pipeline.engines import resolve_device

    hook = hook or silent
    ordered = [s for s in ALL if s in sections]
    device = resolve_device("auto")
    machine = describe_machine(device)
    start_load = load_average()
    out.mkdir(parents=True, exist_ok=True)
    ctx = SuiteContext(SuitePlan.quick() if quick else SuitePlan(), demo_stream()[0], out, hook)
    peaks: dict[str, float] = {}
    done: list[Section] = []
    for i, name in enumerate(ordered):
        hook("suite", i, len(ordered))
        done.append(_run_one(name, ctx, peaks, device))
    hook("suite", len(ordered), len(ordered))
    machine["load_average"] = {"start": start_load, "end": load_average()}
    command = command_line(out, quick, ordered)
    plots = _plots({s.name: s for s in done}, ctx, out)
    result = SuiteResult(out, quick, machine, tuple(done), (*plots, out / "results.json", out / "results.md"), command)
    write_json(out / "results.json", result.as_dict())
    write_markdown(out / "results.md", markdown(done, machine, command, [p.name for p in plots]))
    return result
