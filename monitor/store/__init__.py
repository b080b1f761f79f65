"""The store: one durable record per source and stage, findings with history, blobs by content.

``Store.open(folder)`` keeps a SQLite database (``livemon.db``) and content-addressed blobs
(``blobs/``) in one folder; ``db_url`` puts the tables in any SQLAlchemy database instead
(PostgreSQL for the review service). Tables are created and upgraded by Alembic.
"""

from monitor.store.blobs import BlobStore
from monitor.store.store import SourceStatus, Store

__all__ = ["BlobStore", "SourceStatus", "Store"]
