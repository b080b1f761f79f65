"""What every ``livemon`` command shares: the error console, the one-line failure, the store options."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from monitor.errors import LivemonError
from monitor.sinks.terminal_text import plain

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["DbOpt", "StoreOpt", "console", "fail", "store_session"]

console = Console(stderr=True)

StoreOpt = Annotated[Path, typer.Option("--store", help="store folder: stage records, findings, blobs")]
DbOpt = Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL of the database [SQLite in --store]")]


def fail(error: Exception) -> NoReturn:
    """Print ``error`` as one ``error:`` line (stream values shown inert) and exit 2."""
    console.print(Text.assemble(("error:", "bold red"), " ", plain(error, keep_newlines=True)), soft_wrap=True)
    raise typer.Exit(code=2)


@contextmanager
def store_session(store: Path, db: str | None) -> Iterator[Session]:
    """A session on the store (opened and migrated as needed) that commits at the end; any livemon
    error, opening or inside the block, ends the command with one ``error:`` line."""
    from monitor.store import Store

    try:
        with Store.open(store, db) as opened, opened.session() as session:
            yield session
    except LivemonError as e:
        fail(e)
