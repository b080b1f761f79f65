"""What every page of the HTML report shares: the Jinja environment, the stylesheet and its CSP,
and the helpers that turn stream values into safe attribute values.

Every value a stream carries is hostile (see ``docs/untrusted-input.md``): autoescaping is on for
every template whatever its name, the only markup marked safe is the project's own stylesheet,
the CSP allows no script, no remote resource and no form, snapshots are ``data:`` images and
links are percent-encoded relative paths (never a scheme).
"""

from __future__ import annotations

import base64
import hashlib
import os
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, PackageLoader
from markupsafe import Markup

from monitor.findings import Finding

__all__ = ["clip_href", "environment", "jpeg_data_uri", "relative_href", "stylesheet", "timecode"]


def timecode(seconds: float) -> str:
    """``MM:SS.ss`` of a stream time (minutes keep counting past the hour)."""
    minutes, secs = divmod(max(0.0, seconds), 60)
    return f"{int(minutes):02d}:{secs:05.2f}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=PackageLoader("monitor.sinks", "templates"), autoescape=True)
    env.filters["timecode"] = timecode
    return env


@lru_cache(maxsize=1)
def stylesheet() -> tuple[Markup, str]:
    """The project's stylesheet, and the CSP that allows exactly it (by its sha256)."""
    css = files("monitor.sinks").joinpath("templates/report.css").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    csp = (
        f"default-src 'none'; img-src data:; style-src 'sha256-{digest}'; "
        "base-uri 'none'; form-action 'none'"
    )
    return Markup(css), csp


def relative_href(path: str) -> str:
    """A relative link (``/`` separated) percent-encoded so no part of it can read as a scheme."""
    return quote(path)


def clip_href(finding: Finding, folder: Path | None) -> str | None:
    """A relative link from ``folder`` (where the page is written) to the finding's clip file."""
    if folder is None or not finding.evidence.clip:
        return None
    return relative_href(Path(os.path.relpath(finding.evidence.clip, folder)).as_posix())


def jpeg_data_uri(image: bytes | None) -> str | None:
    return "data:image/jpeg;base64," + base64.b64encode(image).decode() if image else None
