"""Signed checkpoints of the audit chain: a tail and head rewritten together are found, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select, text, update
from typer.testing import CliRunner

from monitor.cli import app as cli
from monitor.service.audit import event_hash
from monitor.store.queue_schema import AuditEventRow, AuditHeadRow
from tests.service.queue_helpers import Service, drop_guards, finding

runner = CliRunner()


def _where(service: Service) -> list[str]:
    options = ["--store", str(service.store.folder)]
    if service.store.engine.dialect.name != "sqlite":
        options += ["--db", service.store.engine.url.render_as_string(hide_password=False)]
    return options


def _activity(service: Service, first: str) -> None:
    service.post("ingest", "/api/v1/findings", [finding(first)])
    lease = service.claim()
    decided = service.post("ana", f"/api/v1/cases/{lease['id']}/decision",
                           {"lease_token": lease["lease_token"], "action": "dismiss", "reason": "正常价格说明",
                            "policies": ["明码标价和禁止价格欺诈规定"]})
    assert decided.status_code == 200


def _rewrite_history(service: Service, action: str, replacement: str) -> None:
    """Change every ``action`` event to ``replacement`` and re-chain everything after it, head included:
    what someone with the database's owner rights could do to leave a consistent chain."""
    with service.store.engine.begin() as connection:
        drop_guards(connection)
    with service.store.session() as s:
        rows = s.scalars(select(AuditEventRow).order_by(AuditEventRow.seq)).all()
        prev = rows[0].prev_hash
        for row in rows:
            if row.action == action:
                row.action = replacement
            row.prev_hash = prev
            row.hash = event_hash(prev, row.seq, row.actor, row.action, json.loads(row.payload), row.at)
            prev = row.hash
        s.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1).values(hash=prev))


def _verify(service: Service, *extra: str) -> tuple[int, str]:
    result = runner.invoke(cli, ["audit", "verify", *_where(service), *extra])
    return result.exit_code, result.output


def test_a_rewritten_tail_and_head_are_found_by_the_signed_checkpoint(service: Service, tmp_path: Path) -> None:
    _activity(service, "f1")
    copy = tmp_path / "checkpoints.jsonl"
    made = runner.invoke(cli, ["audit", "checkpoint", "--out", str(copy), *_where(service)])
    assert made.exit_code == 0, made.output
    checkpoint = json.loads(made.output.strip().splitlines()[-1])
    assert json.loads(copy.read_text().splitlines()[0]) == checkpoint
    _activity(service, "f2")
    code, output = _verify(service)
    assert code == 0 and "1 signed checkpoints hold" in output, output
    _rewrite_history(service, "case.decided", "case.skipped")
    assert _verify(service, "--key", "/nonexistent.key")[0] == 2  # a missing key file is an error, not a pass
    code, output = _verify(service)
    assert code == 1, output
    assert f"first broken entry: {checkpoint['seq']}:" in output and "the chain was rewritten" in output


def test_deleted_checkpoints_are_replaced_by_the_operators_copy(service: Service, tmp_path: Path) -> None:
    _activity(service, "f1")
    copy = tmp_path / "checkpoints.jsonl"
    assert runner.invoke(cli, ["audit", "checkpoint", "--out", str(copy), *_where(service)]).exit_code == 0
    _rewrite_history(service, "case.decided", "case.skipped")
    with service.store.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_checkpoints"))
    assert _verify(service)[0] == 0  # the database alone no longer tells
    code, output = _verify(service, "--checkpoints", str(copy))
    assert code == 1 and "the chain was rewritten" in output, output


def test_a_forged_checkpoint_or_another_key_is_refused(service: Service, tmp_path: Path) -> None:
    _activity(service, "f1")
    assert runner.invoke(cli, ["audit", "checkpoint", *_where(service)]).exit_code == 0
    other = tmp_path / "other.key"
    assert runner.invoke(cli, ["audit", "checkpoint", "--key", str(other), *_where(service)]).exit_code == 0
    code, output = _verify(service)
    assert code == 1 and "was signed by key" in output, output
    with service.store.engine.begin() as connection:
        drop_guards(connection)
        connection.execute(text("DELETE FROM audit_checkpoints WHERE id = 2"))
        connection.execute(text("UPDATE audit_checkpoints SET seq = seq - 1"))
    code, output = _verify(service)
    assert code == 1 and "bad signature" in output, output
