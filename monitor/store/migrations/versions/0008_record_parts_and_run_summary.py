"""A stage record may keep its long sequences as parts (written while the stage is observed), named by a parts
blob; a source's run keeps the summary its report shows (warnings, digital-human judgement, provenance), so the
report can be made again from the store.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stage_records") as records:
        records.add_column(sa.Column("parts_blob", sa.String(64)))
    with op.batch_alter_table("source_runs") as runs:
        runs.add_column(sa.Column("summary_blob", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("source_runs") as runs:
        runs.drop_column("summary_blob")
    with op.batch_alter_table("stage_records") as records:
        records.drop_column("parts_blob")
