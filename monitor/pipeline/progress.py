"""Progress leaves the pipeline through a hook; the CLI renders it with rich."""

from __future__ import annotations

from typing import Protocol

__all__ = ["ProgressHook", "silent"]


class ProgressHook(Protocol):
    def __call__(self, stage: str, completed: float, total: float | None = None) -> None:
        """``stage`` is 'decode', 'ocr', 'asr' or 'detect'; units are stream seconds or items."""
        ...


def silent(stage: str, completed: float, total: float | None = None) -> None:
    """A hook that shows nothing."""
