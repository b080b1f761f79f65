"""Rooms the service hands to ``livemon watch --from`` workers, their leases (epochs) and the workers.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "watch_rooms",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("stream_key", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("added_by", sa.String(80), nullable=False),
        sa.Column("added_at", _TS, nullable=False),
        sa.Column("removed_by", sa.String(80)),
        sa.Column("removed_at", _TS),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_token", sa.String(64)),
        sa.Column("lease_epoch", sa.Integer(), nullable=False),
        sa.Column("lease_expires", _TS),
        sa.Column("heartbeat_at", _TS),
        sa.Column("not_before", _TS),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text()),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_watch_rooms_lease", "watch_rooms", ["removed_at", "lease_expires"])
    op.create_table(
        "watch_room_leases",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("room_id", sa.Integer(), sa.ForeignKey("watch_rooms.id"), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(128), nullable=False),
        sa.Column("granted_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("ended_at", _TS),
        sa.Column("end_reason", sa.String(16)),
        sa.UniqueConstraint("room_id", "epoch", name="uq_watch_room_leases_epoch"),
    )
    op.create_index("ix_watch_room_leases_open", "watch_room_leases", ["room_id", "ended_at"])
    op.create_table(
        "watch_workers",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("running", sa.Integer(), nullable=False),
        sa.Column("caller", sa.String(80), nullable=False),
        sa.Column("first_seen", _TS, nullable=False),
        sa.Column("last_seen", _TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("watch_workers")
    op.drop_table("watch_room_leases")
    op.drop_table("watch_rooms")
