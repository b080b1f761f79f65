"""Where generated media and assembled models are cached."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_root", "font_path"]


def cache_root() -> Path:
    """``$LIVEMON_CACHE`` or ``~/.cache/livemon``."""
    return Path(os.environ.get("LIVEMON_CACHE") or Path.home() / ".cache" / "livemon")


def font_path() -> Path:
    """Noto Sans SC from the ``pylopdf-fonts-zh-cn`` wheel (draws Simplified Chinese)."""
    from importlib.resources import files

    return Path(str(files("pylopdf_fonts_zh_cn") / "NotoSansSC-Regular.otf"))
