"""Sources, stage records, runs, per-source status and findings with history.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger()),
        sa.Column("first_seen", _TS, nullable=False),
    )
    op.create_table(
        "stage_records",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("source_key", sa.String(80), sa.ForeignKey("sources.key"), nullable=False, index=True),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("stage_key", sa.String(64), nullable=False),
        sa.Column("blob", sa.String(64), nullable=False),
        sa.Column("snapshots_blob", sa.String(64)),
        sa.Column("created_at", _TS, nullable=False),
        sa.UniqueConstraint("source_key", "stage", "stage_key"),
    )
    op.create_table(
        "runs",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "source_runs",
        sa.Column("source_key", sa.String(80), sa.ForeignKey("sources.key"), primary_key=True),
        sa.Column("run_key", sa.String(64), sa.ForeignKey("runs.key"), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("finding_id", sa.String(32), nullable=False, index=True),
        sa.Column("source_key", sa.String(80), sa.ForeignKey("sources.key"), nullable=False),
        sa.Column("run_key", sa.String(64), sa.ForeignKey("runs.key"), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("snapshot_blob", sa.String(64)),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("superseded_at", _TS),
        sa.Column("superseded_by_run", sa.String(64)),
    )
    op.create_index("ix_findings_current", "findings", ["source_key", "superseded_at"])


def downgrade() -> None:
    op.drop_index("ix_findings_current", "findings")
    for table in ("findings", "source_runs", "runs", "stage_records", "sources"):
        op.drop_table(table)
