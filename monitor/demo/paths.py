"""Where generated media and assembled models are cached."""

from __future__ import annotations

from pathlib import Path

from monitor.engines.cache import cache_dir

__all__ = ["cache_root", "font_path"]


def cache_root() -> Path:
    """``$LIVEMON_CACHE`` or ``~/.cache/livemon`` (the package's own cache folder)."""
    return cache_dir()


def font_path() -> Path:
    """Noto Sans SC from the ``pylopdf-fonts-zh-cn`` wheel (draws Simplified Chinese)."""
    from importlib.resources import files

    return Path(str(files("pylopdf_fonts_zh_cn") / "NotoSansSC-Regular.otf"))
