"""The audit chain and the service's commands on SQLite and PostgreSQL: verify names the first broken entry."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from monitor.cli import app as cli
from monitor.service import create_app
from monitor.service.auth import check_password
from monitor.store import Store
from tests.service.console_helpers import PASSWORD, login
from tests.service.queue_helpers import Service, drop_guards, finding

runner = CliRunner()


def _where(store: Store) -> list[str]:
    """The --store/--db options that reach ``store``."""
    options = ["--store", str(store.folder)]
    if store.engine.dialect.name != "sqlite":
        options += ["--db", store.engine.url.render_as_string(hide_password=False)]
    return options


def _activity(service: Service) -> None:
    service.post("ingest", "/api/v1/findings", [finding("f1"), finding("f2", stream="room-b")])
    lease = service.claim()
    service.post("ana", f"/api/v1/cases/{lease['id']}/decision",
                 {"lease_token": lease["lease_token"], "action": "dismiss", "reason": "正常价格说明",
                  "policies": ["明码标价和禁止价格欺诈规定"]})


def _verify(store: Store) -> tuple[int, str]:
    result = runner.invoke(cli, ["audit", "verify", *_where(store)])
    return result.exit_code, result.output


def test_verify_passes_on_an_intact_chain(service: Service) -> None:
    _activity(service)
    code, output = _verify(service.store)
    assert code == 0, output
    assert f"audit chain intact: {service.audit_events()} events" in output


@pytest.mark.parametrize(
    ("tamper", "broken", "problem"),
    [
        ("UPDATE audit_events SET payload = replace(payload, 'dismiss', 'confirm') WHERE action = 'case.decided'",
         "last", "was altered"),
        ("UPDATE audit_events SET actor = 'someone' WHERE seq = 3", "3", "was altered"),
        ("DELETE FROM audit_events WHERE seq = 4", "4", "is missing"),
        ("DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)", "last", "is missing"),
        ("UPDATE audit_events SET prev_hash = hash WHERE seq = 5", "5", "does not link"),
    ],
    ids=["decision-rewritten", "actor-edited", "row-deleted", "last-row-deleted", "link-rewritten"],
)
def test_verify_names_the_first_broken_entry(service: Service, tamper: str, broken: str, problem: str) -> None:
    """The database refuses the edit; done anyway by someone who removed its guards, verify finds it."""
    _activity(service)
    last = service.audit_events()
    with pytest.raises(DBAPIError, match="append-only|retention"), service.store.engine.begin() as connection:
        connection.execute(text(tamper))
    assert _verify(service.store)[0] == 0
    with service.store.engine.begin() as connection:
        drop_guards(connection)
        connection.execute(text(tamper))
    code, output = _verify(service.store)
    assert code == 1, output
    assert f"first broken entry: {last if broken == 'last' else broken}:" in output and problem in output


def test_tokens_create_prints_a_token_that_works(store: Store) -> None:
    added = runner.invoke(cli, ["users", "add", "mei", "--role", "lead", "--password-stdin", *_where(store)],
                          input="a long passphrase\n")
    assert added.exit_code == 0, added.output
    created = runner.invoke(cli, ["tokens", "create", "--role", "reviewer", "--user", "mei", *_where(store)])
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    assert token.startswith("lm_") and " " not in token
    ingest = runner.invoke(cli, ["tokens", "create", "--role", "ingest", *_where(store)]).output.split()[-1]
    with TestClient(create_app(store)) as client:
        assert client.post("/api/v1/findings", json=[finding("f1")],
                           headers={"Authorization": f"Bearer {ingest}"}).status_code == 200
        claimed = client.post("/api/v1/cases/claim", headers={"Authorization": f"Bearer {token}"})
        assert claimed.status_code == 200 and claimed.json()["lease_token"]
        assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"}).json()["cases"][0][
            "lease_owner"] == "mei"
    with store.session() as s:
        assert check_password(s, "mei", "a long passphrase") and not check_password(s, "mei", "wrong")
        stored = s.execute(text("SELECT token_sha256 FROM api_tokens")).scalars().all()
    assert token not in stored and all(len(digest) == 64 for digest in stored)
    assert _verify(store)[0] == 0


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["users", "add", "x", "--role", "owner", "--password-stdin"], "a long passphrase\n", "role is one of"),
        (["users", "add", "x", "--password-stdin"], "short\n", "at least 10"),
        (["users", "add", "bad name", "--password-stdin"], "a long passphrase\n", "user name"),
        (["users", "passwd", "nobody", "--password-stdin"], "a long passphrase\n", "no user named"),
        (["users", "passwd", "nobody", "--password-stdin"], "short\n", "at least 10"),
        (["tokens", "create", "--role", "root"], None, "role is one of"),
        (["tokens", "create", "--role", "reviewer", "--user", "nobody"], None, "no user named"),
    ],
)
def test_bad_command_input_is_one_clear_error(store: Store, args: list[str], stdin: str | None, message: str) -> None:
    result = runner.invoke(cli, [*args, *_where(store)], input=stdin)
    assert result.exit_code == 2 and "error:" in result.output and message in result.output, result.output
    assert "Traceback" not in result.output


def test_users_passwd_changes_the_password_and_ends_console_sessions(service: Service) -> None:
    browser = login(service.client.app, "ana")
    assert browser.get("/console", follow_redirects=False).status_code == 200
    changed = runner.invoke(cli, ["users", "passwd", "ana", *_where(service.store)],
                            input="a new long passphrase\na new long passphrase\n")  # asked twice
    assert changed.exit_code == 0, changed.output
    assert "password changed for ana" in changed.output and "a new long passphrase" not in changed.output
    assert browser.get("/console", follow_redirects=False).headers["location"].startswith("/console/login")
    with service.store.session() as s:
        assert check_password(s, "ana", "a new long passphrase") and not check_password(s, "ana", PASSWORD)
    piped = runner.invoke(cli, ["users", "passwd", "ana", "--password-stdin", *_where(service.store)],
                          input="the third passphrase\n")
    assert piped.exit_code == 0, piped.output
    login(service.client.app, "ana", "the third passphrase")
    assert _verify(service.store)[0] == 0
    with service.store.session() as s:
        changes = s.execute(text("SELECT count(*) FROM audit_events WHERE action = 'user.password_changed'")).scalar()
    assert changes == 2


def test_a_token_cannot_outrank_its_user(store: Store) -> None:
    runner.invoke(cli, ["users", "add", "ana", "--password-stdin", *_where(store)], input="a long passphrase\n")
    result = runner.invoke(cli, ["tokens", "create", "--role", "admin", "--user", "ana", *_where(store)])
    assert result.exit_code == 2 and "cannot carry the admin role" in result.output


def test_a_revoked_token_is_refused_at_once(store: Store) -> None:
    created = runner.invoke(cli, ["tokens", "create", "--role", "ingest", *_where(store)]).output.split()
    token, token_id = created[-1], created[1]
    with TestClient(create_app(store)) as client:
        auth = {"Authorization": f"Bearer {token}"}
        assert client.post("/api/v1/findings", json=[finding("f1")], headers=auth).status_code == 200
        revoked = runner.invoke(cli, ["tokens", "revoke", token_id, *_where(store)])
        assert revoked.exit_code == 0, revoked.output
        assert client.post("/api/v1/findings", json=[finding("f2")], headers=auth).status_code == 401
    listed = [json.loads(line) for line in runner.invoke(cli, ["tokens", "list", *_where(store)]).output.splitlines()]
    assert listed[0]["id"] == int(token_id) and listed[0]["revoked_at"] and token not in json.dumps(listed)
    again = runner.invoke(cli, ["tokens", "revoke", token_id, *_where(store)])
    assert again.exit_code == 2 and "already revoked" in again.output
