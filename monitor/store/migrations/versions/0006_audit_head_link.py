"""The audit head keeps the hash its newest append replaced, so PostgreSQL appends an event in one statement;
an index in the claim order over the cases not decided.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("audit_head") as head:
        head.add_column(sa.Column("prev_hash", sa.String(64), nullable=False, server_default=GENESIS))
    op.execute("UPDATE audit_head SET prev_hash = COALESCE("
               "(SELECT e.prev_hash FROM audit_events e WHERE e.seq = audit_head.seq), prev_hash)")
    waiting = sa.text("status <> 'decided'")
    op.create_index("ix_cases_claim", "cases", [sa.text("priority DESC"), "due_at", "id"],
                    postgresql_where=waiting, sqlite_where=waiting)


def downgrade() -> None:
    op.drop_index("ix_cases_claim", "cases")
    with op.batch_alter_table("audit_head") as head:
        head.drop_column("prev_hash")
