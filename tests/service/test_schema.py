"""The queue's tables as migrated match its models, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from monitor.store import Store, governance_schema
from monitor.store.queue_schema import AuditHeadRow
from monitor.store.schema import Base


def test_migrations_match_the_models(store: Store) -> None:
    assert "rooms" in governance_schema.Base.metadata.tables
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_the_audit_chain_starts_at_its_genesis(store: Store) -> None:
    with store.session() as s:
        head = s.scalars(select(AuditHeadRow)).one()
        assert (head.seq, head.hash) == (0, "0" * 64)
