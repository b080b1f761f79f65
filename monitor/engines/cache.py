"""Where livemon keeps assembled models and generated media."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir"]


def cache_dir(*parts: str) -> Path:
    """``$LIVEMON_CACHE`` (default ``~/.cache/livemon``) joined with ``parts``, created."""
    root = Path(os.environ.get("LIVEMON_CACHE") or Path.home() / ".cache" / "livemon")
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
