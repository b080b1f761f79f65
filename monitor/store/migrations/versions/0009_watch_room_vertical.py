"""A watched room may name what it sells (a ``prompts/asr`` vertical): its workers read its speech with that prompt.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("watch_rooms") as rooms:
        rooms.add_column(sa.Column("vertical", sa.String(40)))


def downgrade() -> None:
    with op.batch_alter_table("watch_rooms") as rooms:
        rooms.drop_column("vertical")
