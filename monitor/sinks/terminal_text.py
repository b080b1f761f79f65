"""Untrusted text made harmless for a terminal: controls shown as escapes, never as markup.

File names, URLs, titles, OCR text and speech are written by the people being
monitored. Printed raw, ``ESC [ 2 J`` clears a reviewer's screen, an OSC sequence
retitles the window or plants a hyperlink, a carriage return overwrites the line
before it and a bidi override makes ``evil‮txt.exe`` read as ``evilexe.txt``.
Printed through rich's markup, ``[link=...]`` or ``[/]`` changes what is shown.
Everything a stream carries reaches the terminal through :func:`plain` (a rich
``Text``, which rich never parses as markup) or, for logs, :func:`visible_controls`.
"""

from __future__ import annotations

import logging
import re

from rich.text import Text

__all__ = ["SafeLogFormatter", "plain", "visible_controls"]

_BIDI_AND_SEPARATORS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI_AND_SEPARATORS}]")
_UNSAFE_KEEP_NEWLINES = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{_BIDI_AND_SEPARATORS}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible_controls(value: object, *, keep_newlines: bool = False) -> str:
    r"""``str(value)`` with every control, bidi and line-separator character written as ``\xNN``/``\uNNNN``."""
    pattern = _UNSAFE_KEEP_NEWLINES if keep_newlines else _UNSAFE
    return pattern.sub(_escape, str(value))


def plain(value: object, style: str = "", *, keep_newlines: bool = False) -> Text:
    """A rich ``Text`` of ``value``: shown exactly as written, controls made visible, no markup."""
    return Text(visible_controls(value, keep_newlines=keep_newlines), style=style)


class SafeLogFormatter(logging.Formatter):
    """A log formatter that shows controls in messages as escapes (log lines quote stream data)."""

    def format(self, record: logging.LogRecord) -> str:
        return visible_controls(super().format(record), keep_newlines=True)
