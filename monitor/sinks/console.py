"""Terminal output: a rich progress bar hook and the summary table."""

from __future__ import annotations

import time
from pathlib import Path
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from monitor.detectors.digital_human import DigitalHumanResult
from monitor.results import RescanSummary, RoomState, ScanResult
from monitor.sinks.labels import CATEGORY_ZH, RISK_ZH
from monitor.sinks.terminal_text import plain
from monitor.sources.open import is_url

__all__ = ["RichProgress", "dh_line", "print_summary", "rescan_table", "rooms_table"]

STAGE_LABELS = {"decode": "decode + OCR", "asr": "transcribe", "detect": "detect", "files": "files 文件"}


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


RISK_STYLES = {"block": "red", "review": "yellow", "pass": "dim"}


def print_summary(result: ScanResult, console: Console) -> None:
    """Findings table, warnings and speed; every value from the stream is shown as plain text."""
    for warning in result.warnings:
        console.print(Text.assemble(("警告 warning:", "yellow"), " ", plain(warning)))
    table = Table(title=Text.assemble(f"{len(result.findings)} 条发现 · ", plain(result.info.source)))
    for column in ("时间 time", "来源 source", "类别 category", "风险 risk", "置信度", "证据 evidence"):
        table.add_column(column, overflow="fold")
    for f in result.findings:
        table.add_row(
            f"{f.start:7.1f}–{f.end:.1f}s", f.source, f"{CATEGORY_ZH[f.category]} {f.category}",
            Text(f"{RISK_ZH[f.risk]} {f.risk}", style=RISK_STYLES[f.risk]), f"{f.confidence:.2f}", plain(f.text[:60]),
        )
    console.print(table)
    dh = result.digital_human
    if dh is not None:
        console.print(Text.assemble("数字人 digital human: ", plain(dh_line(dh))))
    stats = result.stats
    if stats.get("wall_seconds"):
        speed = stats["stream_seconds"] / stats["wall_seconds"]
        console.print(
            f"{stats['stream_seconds']:.1f}s of stream in {stats['wall_seconds']:.1f}s ({speed:.1f}x real time); "
            f"OCR read {int(stats['ocr_frames'])} of {int(stats['sampled_frames'])} sampled frames",
            markup=False,
        )


def dh_line(dh: DigitalHumanResult) -> str:
    """The digital-human judgement in one line: judged or why not, the likelihood, the framing and face size."""
    verdict = "已判断 judged" if dh.judgement.judged else f"未判断 not judged: {dh.judgement.reason}"
    likelihood = f" · AI 可能性 {dh.likelihood:.2f}" if dh.likelihood is not None else ""
    return f"{verdict}{likelihood} · {dh.view.describe()}"


def rooms_table(rooms: list[RoomState]) -> Table:
    """One row per watched room: stream time, utterances, frames, findings, latency, status, and the newest
    digital-human judgement (with the framing and face size it rests on)."""
    table = Table(title=f"监看 {len(rooms)} 个直播间 · watching {len(rooms)} room(s)")
    columns = (
        "直播间 room",
        "流时间 s",
        "语句 utterances",
        "帧 frames",
        "发现 findings",
        "延迟 p50/p95",
        "状态 status",
        "数字人 digital human",
    )
    for column in columns:
        table.add_column(column, overflow="fold")
    for i, r in enumerate(rooms):
        p50, p95 = r.latency(0.5), r.latency(0.95)
        latency = f"{p50:.1f} / {p95:.1f} s" if p50 is not None and p95 is not None else "–"
        status = _room_status(r)
        if not r.error:
            for w in r.warnings:
                status.append("\n").append_text(plain(w, "yellow"))
        name = r.spec if is_url(r.spec) else Path(r.spec).name
        counts = (str(r.utterances), str(r.frames), str(r.findings))
        dh = plain(dh_line(r.digital_human)) if r.digital_human is not None else Text("–")
        table.add_row(plain(f"{i} {name}"), f"{r.stream_seconds:.1f}", *counts, latency, status, dh)
    return table


def _room_status(room: RoomState) -> Text:
    """失败/重连中/已结束/监看中, with why a stream was lost and how often it came back."""
    if room.status == "failed":
        return Text.assemble(("失败 failed: ", "red"), plain(room.error or ""))
    if room.status == "reconnecting":
        lost_for = time.monotonic() - room.lost_at if room.lost_at is not None else 0.0
        tries = f" · 第 {room.attempts} 次重试 attempt {room.attempts}" if room.attempts else ""
        return Text.assemble(
            ("重连中 reconnecting", "yellow"), f" · 已断 {lost_for:.0f}s lost{tries}\n", plain(room.lost or "", "dim")
        )
    status = Text("已结束 ended" if room.status == "ended" else "监看中 watching",
                  style="green" if room.status == "ended" else "")
    if room.reconnects:
        status.append(f" · 重连 {room.reconnects} 次 reconnected {room.reconnects}x")
    return status


def rescan_table(summary: RescanSummary) -> Table:
    """One row per source: status, findings, stages made now (the rest came from the store), time, error."""
    table = Table(title=f"重扫 rescan · {len(summary.items)} 个来源 sources · {summary.seconds:.1f}s")
    for column in ("来源 source", "状态 status", "发现 findings", "新做 made", "秒 s", "错误 error"):
        table.add_column(column, overflow="fold")
    styles = {"done": "green", "skipped": "dim", "failed": "red"}
    for item in summary.items:
        name = item.spec if is_url(item.spec) else Path(item.spec).name
        table.add_row(
            plain(name), Text(item.status, style=styles[item.status]), str(item.findings),
            ", ".join(item.made) or "–", f"{item.seconds:.1f}", plain(item.error or ""),
        )
    return table
