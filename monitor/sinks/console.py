"""Terminal output: a rich progress bar hook and the summary table."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from monitor.pipeline.scan import ScanResult

__all__ = ["RichProgress", "print_summary"]

STAGE_LABELS = {"decode": "decode + OCR", "asr": "transcribe", "detect": "detect"}


class RichProgress:
    """A ProgressHook that draws one bar per stage (stream seconds as units)."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<14}"), BarColumn(), TextColumn("{task.completed:>7.1f}/{task.total:.1f}"),
            TimeElapsedColumn(), console=console, transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._progress.stop()

    def __call__(self, stage: str, completed: float, total: float | None = None) -> None:
        task = self._tasks.get(stage)
        if task is None:
            task = self._tasks[stage] = self._progress.add_task(STAGE_LABELS.get(stage, stage), total=total)
        self._progress.update(task, completed=completed, total=total)


def print_summary(result: ScanResult, console: Console) -> None:
    """Findings table, warnings and speed."""
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    table = Table(title=f"{len(result.findings)} finding(s) in {result.info.source}")
    for column in ("time", "source", "category", "risk", "conf.", "evidence"):
        table.add_column(column, overflow="fold")
    colours = {"block": "red", "review": "yellow", "pass": "dim"}
    for f in result.findings:
        table.add_row(
            f"{f.start:7.1f}–{f.end:.1f}s", f.source, f.category, f"[{colours[f.risk]}]{f.risk}[/]",
            f"{f.confidence:.2f}", f.text[:60],
        )
    console.print(table)
    stats = result.stats
    if stats.get("wall_seconds"):
        speed = stats["stream_seconds"] / stats["wall_seconds"]
        console.print(
            f"{stats['stream_seconds']:.1f}s of stream in {stats['wall_seconds']:.1f}s ({speed:.1f}x real time); "
            f"OCR read {int(stats['ocr_frames'])} of {int(stats['sampled_frames'])} sampled frames"
        )
