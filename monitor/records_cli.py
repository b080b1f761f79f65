"""``livemon retention``, ``livemon hold`` and ``livemon export``: keeping records and handing them over."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from monitor.cli_support import DbOpt, StoreOpt, console, fail, store_session
from monitor.errors import LivemonError
from monitor.sinks.terminal_text import plain

if TYPE_CHECKING:
    from monitor.service.auth import Principal

__all__ = ["export", "hold_app", "retention_app"]

retention_app = typer.Typer(help="How long records are kept (at least 3 years).", no_args_is_help=True)
hold_app = typer.Typer(help="Legal holds: a room's records kept whatever their age.", no_args_is_help=True)
_CLI = "cli"


@retention_app.command("show")
def retention_show(store: StoreOpt = Path("livemon-store"), db: DbOpt = None) -> None:
    """Print the retention period in years."""
    from monitor.service.holds import retention_years

    with store_session(store, db) as s:
        print(retention_years(s))


@retention_app.command("set")
def retention_set(
    years: Annotated[int, typer.Argument(help="years to keep records (3 or more)")],
    store: StoreOpt = Path("livemon-store"),
    db: DbOpt = None,
) -> None:
    """Set the retention period; records younger than it cannot be deleted."""
    from monitor.service.db import system_clock
    from monitor.service.holds import set_retention

    with store_session(store, db) as s:
        set_retention(s, years, _CLI, system_clock())
    console.print(f"records are kept {years} years")


def _admin(name: str) -> Principal:
    """The operator at the command line: it has the machine, so it acts as an admin."""
    from monitor.service.auth import Principal

    return Principal(token_id=0, role="admin", user=name)


@hold_app.command("place")
def hold_place(
    stream: Annotated[str, typer.Argument(help="the room's stream (file name or URL) as the findings name it")],
    reason: Annotated[str, typer.Option(help="why the records are held (a case number, an authority's request)")],
    store: StoreOpt = Path("livemon-store"),
    db: DbOpt = None,
) -> None:
    """Hold a room's records: none can be deleted, whatever their age, until the hold is lifted."""
    from monitor.service.db import system_clock
    from monitor.service.holds import place_hold

    with store_session(store, db) as s:
        held = place_hold(s, _admin(_CLI), stream, reason, system_clock())
    console.print(Text.assemble(f"legal hold {held['id']} on ", plain(stream)))


@hold_app.command("lift")
def hold_lift(
    hold_id: Annotated[int, typer.Argument(help="the hold's id (livemon hold list)")],
    reason: Annotated[str, typer.Option(help="why the hold ends")],
    store: StoreOpt = Path("livemon-store"),
    db: DbOpt = None,
) -> None:
    """Lift a legal hold; the room's records fall back under the retention period."""
    from monitor.service.db import system_clock
    from monitor.service.holds import lift_hold

    with store_session(store, db) as s:
        lift_hold(s, _admin(_CLI), hold_id, reason, system_clock())
    console.print(f"legal hold {hold_id} lifted")


@hold_app.command("list")
def hold_list(store: StoreOpt = Path("livemon-store"), db: DbOpt = None) -> None:
    """Print the legal holds as JSON Lines."""
    import json

    from monitor.service.holds import list_holds

    with store_session(store, db) as s:
        holds = list_holds(s)
    for held in holds:
        print(json.dumps(held, ensure_ascii=False))


def _day(value: str, option: str) -> datetime:
    """A day (its midnight, UTC) or an ISO time (UTC unless it names its offset)."""
    try:
        moment = datetime.fromisoformat(value) if "T" in value else datetime.combine(date.fromisoformat(value), time())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (2026-03-01) or a time (2026-03-01T08:00:00+08:00)",
                                 param_hint=option) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def export(
    since: Annotated[str, typer.Option("--from", help="first day (or ISO time) of the period; UTC unless given")],
    until: Annotated[str, typer.Option("--to", help="day (or ISO time) the period ends, not included")],
    out: Annotated[Path, typer.Option("--out", help="new folder for the bundle")],
    room: Annotated[str | None, typer.Option(help="only this room (its stream as the findings name it)")] = None,
    store: StoreOpt = Path("livemon-store"),
    db: DbOpt = None,
) -> None:
    """Write what a regulator asks for: findings, cases, decisions, sanctions, appeals and audit events of a
    period as JSON and CSV, the evidence files they cite, and a manifest of every file's sha256."""
    from monitor.service.db import system_clock
    from monitor.service.export import export_records
    from monitor.store import Store

    start, end = _day(since, "--from"), _day(until, "--to")
    try:
        with Store.open(store, db) as opened:
            summary = export_records(opened, out, start, end, _CLI, system_clock(), room)
    except LivemonError as e:
        fail(e)
    counts = ", ".join(f"{name} {n}" for name, n in summary.counts.items())
    console.print(Text.assemble("exported to ", plain(out), f": {counts}; manifest sha256 {summary.manifest_sha256}"))


SIGNING_KEY = "audit-signing.key"
"""The checkpoint key's file in the store folder, unless ``--key`` names another (keep it off the database host)."""
KeyOpt = Annotated[Path | None, typer.Option("--key", help=f"Ed25519 key file [STORE/{SIGNING_KEY}]")]


def audit_checkpoint(
    out: Annotated[Path | None, typer.Option("--out", help="also append it to this JSON Lines file")] = None,
    key: KeyOpt = None,
    store: StoreOpt = Path("livemon-store"),
    db: DbOpt = None,
) -> None:
    """Sign the audit chain's head now (Ed25519) and keep the checkpoint; run it hourly and copy --out elsewhere."""
    import json

    from monitor.service.checkpoints import load_or_create_key, make_checkpoint
    from monitor.service.db import system_clock
    from monitor.store import Store

    try:
        signer = load_or_create_key(key or store / SIGNING_KEY)
        with Store.open(store, db) as opened, opened.session() as s:
            checkpoint = make_checkpoint(s, signer, _CLI, system_clock())
    except LivemonError as e:
        fail(e)
    line = json.dumps(checkpoint, ensure_ascii=False)
    if out is not None:
        with out.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    print(line)
