"""Rooms and risk tiers, sanctions, appeals, legal holds, signed audit checkpoints, the retention period and the
triggers that keep records.

Revision ID: 0004
Revises: 0003

Records of the queue are kept: the database itself refuses to delete a row younger than the
retention period (3 years by default, ``retention_policy``) or one of a room under legal hold, and
refuses any change to decisions, ingested findings and audit events (append-only). On PostgreSQL
TRUNCATE of those tables is refused too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
RETENTION_YEARS = 3
"""直播电商监督管理办法: records of live content and transactions kept at least three years."""

_HELD_STREAM_KEY = "EXISTS (SELECT 1 FROM legal_holds h WHERE h.stream_key = OLD.stream_key AND h.lifted_at IS NULL)"
_HELD_CASE = ("EXISTS (SELECT 1 FROM legal_holds h JOIN cases c ON c.stream_key = h.stream_key "
              "WHERE c.id = OLD.case_id AND h.lifted_at IS NULL)")
KEPT: dict[str, tuple[str, str]] = {
    "audit_events": ("OLD.at", "FALSE"),
    "ingested_findings": ("OLD.received_at",
                          "EXISTS (SELECT 1 FROM legal_holds h WHERE h.stream = OLD.stream AND h.lifted_at IS NULL)"),
    "cases": ("OLD.created_at", _HELD_STREAM_KEY),
    "case_findings": ("(SELECT created_at FROM cases WHERE id = OLD.case_id)", _HELD_CASE),
    "decisions": ("OLD.decided_at", _HELD_CASE),
    "rooms": ("OLD.updated_at", _HELD_STREAM_KEY),
    "sanctions": ("OLD.starts_at", _HELD_STREAM_KEY),
    "appeals": ("OLD.filed_at", "EXISTS (SELECT 1 FROM legal_holds h JOIN sanctions s ON s.stream_key = h.stream_key "
                                "WHERE s.id = OLD.sanction_id AND h.lifted_at IS NULL)"),
    "legal_holds": ("OLD.placed_at", "OLD.lifted_at IS NULL"),
    "audit_checkpoints": ("OLD.at", "FALSE"),
}
"""Table → (the row's time, whether it belongs to a room under legal hold), as SQL on the deleted row ``OLD``."""
APPEND_ONLY = ("audit_events", "audit_checkpoints", "decisions", "ingested_findings")

_SQLITE_CUTOFF = "datetime('now', '-' || (SELECT years FROM retention_policy WHERE id = 1) || ' years')"
_PG_CUTOFF = "now() - make_interval(years => (SELECT years FROM retention_policy WHERE id = 1))"


def _guards_sqlite() -> list[str]:
    statements = []
    for table, (at, held) in KEPT.items():
        statements.append(
            f"CREATE TRIGGER livemon_keep_{table}_delete BEFORE DELETE ON {table} "
            f"WHEN {at} > {_SQLITE_CUTOFF} OR {held} "
            f"BEGIN SELECT RAISE(ABORT, 'livemon: {table} rows are kept for the retention period "
            f"and while their room is under legal hold'); END"
        )
    for table in APPEND_ONLY:
        statements.append(
            f"CREATE TRIGGER livemon_keep_{table}_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'livemon: {table} is append-only'); END"
        )
    return statements


def _guards_postgresql() -> list[str]:
    statements = [
        "CREATE FUNCTION livemon_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'livemon: % is append-only', TG_TABLE_NAME; END $$",
    ]
    for table, (at, held) in KEPT.items():
        statements += [
            f"CREATE FUNCTION livemon_keep_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF {at} > {_PG_CUTOFF} OR {held} THEN RAISE EXCEPTION "
            f"'livemon: {table} rows are kept for the retention period and while their room is under legal hold'; "
            f"END IF; RETURN OLD; END $$",
            f"CREATE TRIGGER livemon_keep_{table}_delete BEFORE DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION livemon_keep_{table}()",
            f"CREATE TRIGGER livemon_keep_{table}_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION livemon_append_only()",
        ]
    for table in APPEND_ONLY:
        statements.append(
            f"CREATE TRIGGER livemon_keep_{table}_update BEFORE UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION livemon_append_only()"
        )
    return statements


def upgrade() -> None:
    op.add_column("cases", sa.Column("tier", sa.String(16), nullable=False, server_default="low"))
    op.add_column("cases", sa.Column("live_until", _TS))
    op.create_index("ix_cases_tier", "cases", ["tier", "status"])
    op.create_index("ix_cases_live", "cases", ["live_until"])
    op.create_table(
        "rooms",
        sa.Column("stream_key", sa.String(64), primary_key=True),
        sa.Column("stream", sa.Text(), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("confirmed", sa.Integer(), nullable=False),
        sa.Column("live_until", _TS),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_table(
        "sanctions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("decision_id", sa.Integer(), sa.ForeignKey("decisions.id"), nullable=False, unique=True),
        sa.Column("stream_key", sa.String(64), nullable=False, index=True),
        sa.Column("stream", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("starts_at", _TS, nullable=False),
        sa.Column("ends_at", _TS),
        sa.Column("appeal_route", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("imposed_by", sa.String(80), nullable=False),
        sa.Column("lifted_at", _TS),
    )
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("sanction_id", sa.Integer(), sa.ForeignKey("sanctions.id"), nullable=False, index=True),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("filed_by", sa.String(80), nullable=False),
        sa.Column("filed_at", _TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(80)),
        sa.Column("decided_at", _TS),
        sa.Column("reason", sa.Text()),
    )
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("stream_key", sa.String(64), nullable=False, index=True),
        sa.Column("stream", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(80), nullable=False),
        sa.Column("placed_at", _TS, nullable=False),
        sa.Column("lifted_by", sa.String(80)),
        sa.Column("lifted_at", _TS),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
    )
    retention = op.create_table(
        "retention_policy",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("years", sa.Integer(), nullable=False),
    )
    op.bulk_insert(retention, [{"id": 1, "years": RETENTION_YEARS}])
    dialect = op.get_bind().dialect.name
    for statement in _guards_postgresql() if dialect == "postgresql" else _guards_sqlite():
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in KEPT:
        op.execute(f"DROP TRIGGER IF EXISTS livemon_keep_{table}_delete" + (f" ON {table}" if dialect == "postgresql"
                                                                          else ""))
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS livemon_keep_{table}_update" + (f" ON {table}" if dialect == "postgresql"
                                                                          else ""))
    if dialect == "postgresql":
        for table in KEPT:
            op.execute(f"DROP TRIGGER IF EXISTS livemon_keep_{table}_truncate ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS livemon_keep_{table}()")
        op.execute("DROP FUNCTION IF EXISTS livemon_append_only()")
    for table in ("retention_policy", "audit_checkpoints", "legal_holds", "appeals", "sanctions", "rooms"):
        op.drop_table(table)
    with op.batch_alter_table("cases") as cases:
        cases.drop_index("ix_cases_live")
        cases.drop_index("ix_cases_tier")
        cases.drop_column("live_until")
        cases.drop_column("tier")
