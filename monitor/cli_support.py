"""What every ``livemon`` command shares: the error console, the one-line failure, the store options."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from monitor.sinks.terminal_text import plain

__all__ = ["DbOpt", "StoreOpt", "console", "fail"]

console = Console(stderr=True)

StoreOpt = Annotated[Path, typer.Option("--store", help="store folder: stage records, findings, blobs")]
DbOpt = Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL of the database [SQLite in --store]")]


def fail(error: Exception) -> NoReturn:
    """Print ``error`` as one ``error:`` line (stream values shown inert) and exit 2."""
    console.print(Text.assemble(("error:", "bold red"), " ", plain(error, keep_newlines=True)), soft_wrap=True)
    raise typer.Exit(code=2)
