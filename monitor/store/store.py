"""The store's operations: stage records in and out, per-source status, findings with history."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, func, make_url, select
from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import ConfigError
from monitor.observations.record import StreamRecord, dump_json, load_json
from monitor.store.blobs import BlobStore
from monitor.store.parts import RecordParts, RecordView, dump_parts, load_parts
from monitor.store.queue_schema import IngestedFindingRow
from monitor.store.schema import FindingRow, RunRow, SourceRow, SourceRunRow, StageRecordRow, utcnow

__all__ = ["SourceStatus", "StoredRun", "StoredStage", "Store"]

MIGRATIONS = Path(__file__).with_name("migrations")
_SHA256 = re.compile(r"[0-9a-f]{64}")
POOL_SIZE = 20
"""Connections kept open: as many as the service's reviewers and ingesters at once (a connection past
the pool is opened and closed per use, which costs the database a new backend each time)."""


@dataclass(frozen=True, slots=True)
class StoredStage:
    """One stage's record as stored, and the JPEG blob of each of its snapshots by name.

    ``record`` is the whole record when it was stored in one piece; when its long sequences were
    written as parts (``parts`` not empty) it is the record without them: :meth:`view` reads them.
    """

    record: StreamRecord
    snapshots: Mapping[str, str]
    parts: RecordParts = RecordParts()

    def view(self, blobs: BlobStore) -> RecordView:
        return RecordView(self.record, self.parts, blobs)


@dataclass(frozen=True, slots=True)
class StoredRun:
    """A source's newest finished run: its key, its settings (stage and detector keys) and its report summary."""

    key: str
    settings: Mapping[str, Any]
    summary: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class SourceStatus:
    source_key: str
    spec: str
    status: str
    error: str | None
    findings: int


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Store:
    """A folder of blobs and a database (SQLite inside the folder unless ``db_url`` names another)."""

    def __init__(self, folder: Path, engine: Engine) -> None:
        self.folder = folder
        self.engine = engine
        self.blobs = BlobStore(folder / "blobs")
        self._session = sessionmaker(engine, expire_on_commit=False)
        server = engine.dialect.name != "sqlite"
        self._reader = sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT") if server else engine,
                                    expire_on_commit=False)

    @classmethod
    def open(cls, folder: Path, db_url: str | None = None) -> Store:
        """Open (creating and migrating as needed) the store in ``folder``."""
        if folder.exists() and not folder.is_dir():
            raise ConfigError(f"the store must be a folder, got a file: {folder}")
        folder.mkdir(parents=True, exist_ok=True)
        url = db_url or f"sqlite:///{folder / 'livemon.db'}"
        try:
            sqlite = url.startswith("sqlite")
            in_memory = sqlite and make_url(url).database in (None, "", ":memory:")  # one connection, no pool
            pool = {} if in_memory else {"pool_size": POOL_SIZE, "max_overflow": POOL_SIZE}
            # server workers share a SQLite file: each waits up to 60 s for its write lock
            engine = create_engine(url, connect_args={"timeout": 60} if sqlite else {}, **pool)
        except Exception as e:  # SQLAlchemy's URL and driver errors
            raise ConfigError(f"cannot use the database {url!r}: {e}") from e
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(folder, engine)
        store.migrate()
        return store

    def migrate(self) -> None:
        """Bring the tables to the newest migration."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except Exception as e:
            if isinstance(e, ConfigError):
                raise
            raise ConfigError(f"cannot open the store database: {e}") from e

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._session.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only. On a database server it runs in autocommit: each statement sees what
        was committed when it began, as in the server's READ COMMITTED transactions, without the BEGIN
        and COMMIT round trips. SQLite, in the process, reads in a transaction as :meth:`session` does."""
        with self._reader() as session:
            yield session

    # sources and stage records

    def remember_source(self, key: str, spec: str, size: int | None) -> None:
        with self.session() as s:
            row = s.get(SourceRow, key)
            if row is None:
                s.add(SourceRow(key=key, spec=spec, size=size))
            else:
                row.spec = spec

    def load_stage(self, source_key: str, stage: str, stage_key: str) -> StoredStage | None:
        """The stored record of one stage, or ``None`` when it was never made under this key."""
        with self.session() as s:
            row = s.scalars(
                select(StageRecordRow).filter_by(source_key=source_key, stage=stage, stage_key=stage_key)
            ).first()
            if row is None:
                return None
            blob, snapshots_blob, parts_blob = row.blob, row.snapshots_blob, row.parts_blob
        record = load_json(StreamRecord, self.blobs.get_json(blob))
        snapshots = json.loads(self.blobs.get_json(snapshots_blob)) if snapshots_blob else {}
        parts = load_parts(self.blobs.get_json(parts_blob)) if parts_blob else RecordParts()
        return StoredStage(record, snapshots, parts)

    def save_stage(
        self, source_key: str, stage: str, stage_key: str, record: StreamRecord, images: Mapping[str, bytes] = {},
        parts: RecordParts | None = None,
    ) -> StoredStage:
        """Store one stage's record (and its snapshot JPEGs) under ``stage_key``; idempotent.

        With ``parts`` (already written to this store's blobs as the stage was observed) ``record`` is the
        record without its long sequences, and the parts are named with it.
        """
        snapshots = {name: self.blobs.put(data) for name, data in images.items()}
        blob = self.blobs.put_json(dump_json(record))
        snapshots_blob = self.blobs.put_json(json.dumps(snapshots, sort_keys=True).encode()) if snapshots else None
        parts = parts or RecordParts()
        parts_blob = None if parts.empty else self.blobs.put_json(dump_parts(parts))
        with self.session() as s:
            exists = s.scalars(
                select(StageRecordRow.id).filter_by(source_key=source_key, stage=stage, stage_key=stage_key)
            ).first()
            if exists is None:
                s.add(StageRecordRow(source_key=source_key, stage=stage, stage_key=stage_key, blob=blob,
                                     snapshots_blob=snapshots_blob, parts_blob=parts_blob))
        return StoredStage(record, snapshots, parts)

    def stored_sources(self) -> list[tuple[str, str]]:
        """(key, spec) of every source with a stored stage record, oldest first."""
        with self.session() as s:
            rows = s.execute(
                select(SourceRow.key, SourceRow.spec)
                .where(SourceRow.key.in_(select(StageRecordRow.source_key)))
                .order_by(SourceRow.first_seen, SourceRow.key)
            ).all()
            return [(key, spec) for key, spec in rows]

    def newest_stage_keys(self, source_key: str) -> dict[str, str]:
        """Stage → the key of the newest record stored for it (whatever options made it)."""
        with self.session() as s:
            rows = s.execute(
                select(StageRecordRow.stage, StageRecordRow.stage_key)
                .filter_by(source_key=source_key)
                .order_by(StageRecordRow.created_at, StageRecordRow.id)
            ).all()
        return {stage: key for stage, key in rows}

    # runs, status and findings

    def remember_run(self, run_key: str, settings: Mapping[str, Any]) -> None:
        with self.session() as s:
            if s.get(RunRow, run_key) is None:
                s.add(RunRow(key=run_key, settings=json.dumps(settings, ensure_ascii=False, sort_keys=True)))

    def status(self, source_key: str, run_key: str) -> str | None:
        with self.session() as s:
            row = s.get(SourceRunRow, (source_key, run_key))
            return row.status if row is not None else None

    def mark_failed(self, source_key: str, run_key: str, error: str) -> None:
        with self.session() as s:
            self._set_status(s, source_key, run_key, "failed", error, 0)

    def _set_status(
        self, s: Session, source_key: str, run_key: str, status: str, error: str | None, n: int,
        summary_blob: str | None = None,
    ) -> None:
        row = s.get(SourceRunRow, (source_key, run_key))
        if row is None:
            s.add(SourceRunRow(source_key=source_key, run_key=run_key, status=status, error=error, findings=n,
                               summary_blob=summary_blob))
        else:
            row.status, row.error, row.findings, row.updated_at = status, error, n, utcnow()
            row.summary_blob = summary_blob

    def latest_run(self, source_key: str) -> StoredRun | None:
        """The source's most recently finished run (the one its current findings are from), or ``None``."""
        with self.session() as s:
            found = s.execute(
                select(SourceRunRow.run_key, SourceRunRow.summary_blob, RunRow.settings)
                .join(RunRow, RunRow.key == SourceRunRow.run_key)
                .where(SourceRunRow.source_key == source_key, SourceRunRow.status == "done")
                .order_by(SourceRunRow.updated_at.desc())
            ).first()
        if found is None:
            return None
        run_key, summary_blob, settings = found
        summary = json.loads(self.blobs.get_json(summary_blob)) if summary_blob else None
        return StoredRun(run_key, json.loads(settings), summary)

    def _summary_blob(self, summary: Mapping[str, Any] | None) -> str | None:
        """The blob id of a run's report summary (JSON), or None without one."""
        if summary is None:
            return None
        return self.blobs.put_json(json.dumps(summary, ensure_ascii=False, sort_keys=True).encode())

    def record_findings(
        self, source_key: str, run_key: str, findings: Sequence[Mapping[str, Any]], snapshots: Mapping[str, str],
        summary: Mapping[str, Any] | None = None,
    ) -> None:
        """Make ``findings`` the source's current findings and mark it done under ``run_key``, in one transaction.

        A current finding that is found again unchanged stays as it is; one that is gone or changed
        (in any field, its provenance included) is superseded: kept, with the time and the run that
        superseded it. ``summary`` (JSON data) is what the run's report shows besides its findings.
        """
        bodies = {f["id"]: json.dumps(f, ensure_ascii=False, sort_keys=True) for f in findings}
        summary_blob = self._summary_blob(summary)
        now = utcnow()
        with self.session() as s:
            current = s.scalars(select(FindingRow).filter_by(source_key=source_key, superseded_at=None)).all()
            kept = set()
            for row in current:
                if bodies.get(row.finding_id) == row.body:
                    kept.add(row.finding_id)
                else:
                    row.superseded_at, row.superseded_by_run = now, run_key
            for finding in findings:
                if finding["id"] in kept:
                    continue
                s.add(_finding_row(finding, bodies[finding["id"]], source_key, run_key, snapshots))
            self._set_status(s, source_key, run_key, "done", None, len(findings), summary_blob)

    def add_findings(
        self, source_key: str, run_key: str, findings: Sequence[Mapping[str, Any]], snapshots: Mapping[str, str],
    ) -> set[str]:
        """Add findings of a run still going on (a watched room's, as they are found) to the source's current
        findings, in one transaction; the source is marked ``running`` under ``run_key`` until
        :meth:`finish_findings`. Append-safe: a finding already current and unchanged stays as it is (adding it
        again changes nothing); one current with another body is superseded by it. Returns the ids of the
        findings that earlier runs made current and that are unchanged (what :meth:`finish_findings` keeps).
        """
        bodies = {f["id"]: json.dumps(f, ensure_ascii=False, sort_keys=True) for f in findings}
        now = utcnow()
        unchanged: set[str] = set()
        with self.session() as s:
            current = s.scalars(select(FindingRow).filter(
                FindingRow.source_key == source_key, FindingRow.superseded_at.is_(None),
                FindingRow.finding_id.in_(list(bodies)),
            )).all()
            for row in current:
                if bodies[row.finding_id] == row.body:
                    unchanged.add(row.finding_id)
                else:
                    row.superseded_at, row.superseded_by_run = now, run_key
            added = 0
            for finding in findings:
                if finding["id"] in unchanged:
                    continue
                unchanged.add(finding["id"])  # a second copy in the same call is the same finding
                added += 1
                s.add(_finding_row(finding, bodies[finding["id"]], source_key, run_key, snapshots))
            again = {row.finding_id for row in current if row.superseded_at is None and row.run_key != run_key}
            status = s.get(SourceRunRow, (source_key, run_key))
            self._set_status(s, source_key, run_key, "running", None, (status.findings if status else 0) + added)
        return again

    def finish_findings(
        self, source_key: str, run_key: str, found_again: set[str], summary: Mapping[str, Any] | None = None,
    ) -> None:
        """Mark a run whose findings were added as found (:meth:`add_findings`) done: the source's current findings
        of other runs that it did not find again (``found_again``: ids :meth:`add_findings` returned) are
        superseded, as :meth:`record_findings` would have done with the same findings at once."""
        summary_blob = self._summary_blob(summary)
        now = utcnow()
        with self.session() as s:
            older = s.scalars(select(FindingRow).filter(
                FindingRow.source_key == source_key, FindingRow.superseded_at.is_(None), FindingRow.run_key != run_key,
            )).all()
            for row in older:
                if row.finding_id not in found_again:
                    row.superseded_at, row.superseded_by_run = now, run_key
            s.flush()
            n = s.scalar(select(func.count()).select_from(FindingRow).filter(
                FindingRow.source_key == source_key, FindingRow.superseded_at.is_(None)))
            self._set_status(s, source_key, run_key, "done", None, n or 0, summary_blob)

    def current_findings(self, source_key: str) -> list[tuple[dict[str, Any], str | None]]:
        """The source's current findings (as JSON objects, in time order) with their snapshot blobs."""
        with self.session() as s:
            rows = s.scalars(
                select(FindingRow).filter_by(source_key=source_key, superseded_at=None).order_by(FindingRow.id)
            ).all()
            found = [(json.loads(r.body), r.snapshot_blob) for r in rows]
        return sorted(found, key=lambda item: (item[0]["start"], item[0]["source"], item[0]["category"]))

    def all_current_findings(self) -> list[dict[str, Any]]:
        """Every source's current findings, as JSON objects."""
        with self.session() as s:
            bodies = s.scalars(select(FindingRow.body).filter_by(superseded_at=None).order_by(FindingRow.id)).all()
        return [json.loads(body) for body in bodies]

    def finding_history(self, finding_id: str) -> list[dict[str, Any]]:
        """Every stored version of a finding, oldest first, with when it was superseded."""
        with self.session() as s:
            rows = s.scalars(select(FindingRow).filter_by(finding_id=finding_id).order_by(FindingRow.id)).all()
            return [
                {"run": r.run_key, "created_at": r.created_at.isoformat(),
                 "superseded_at": r.superseded_at.isoformat() if r.superseded_at else None, **json.loads(r.body)}
                for r in rows
            ]

    def statuses(self, run_key: str) -> list[SourceStatus]:
        with self.session() as s:
            rows = s.execute(
                select(SourceRunRow, SourceRow.spec).join(SourceRow).where(SourceRunRow.run_key == run_key)
            ).all()
            return [SourceStatus(r.source_key, spec, r.status, r.error, r.findings) for r, spec in rows]

    def referenced_blobs(self) -> set[str]:
        """Every blob a stage record, its snapshot map, a finding (current or superseded) or the evidence of a
        finding posted to the service points to."""
        with self.session() as s:
            records = s.execute(
                select(StageRecordRow.blob, StageRecordRow.snapshots_blob, StageRecordRow.parts_blob)
            ).all()
            snapshots = s.scalars(select(FindingRow.snapshot_blob).where(FindingRow.snapshot_blob.is_not(None))).all()
            summaries = s.scalars(select(SourceRunRow.summary_blob).where(SourceRunRow.summary_blob.is_not(None))).all()
            ingested = s.scalars(select(IngestedFindingRow.body)).all()
        used = {blob for blob, _, _ in records} | {b for b in snapshots if b} | {b for b in summaries if b}
        for _, _, parts_blob in records:
            if parts_blob:
                used.add(parts_blob)
                used.update(load_parts(self.blobs.get_json(parts_blob)).blobs())
        for body in ingested:
            evidence = json.loads(body).get("evidence")
            for key in ("snapshot_sha256", "clip_sha256") if isinstance(evidence, dict) else ():
                value = evidence.get(key)
                if isinstance(value, str) and _SHA256.fullmatch(value):
                    used.add(value)
        for _, snapshots_blob, _ in records:
            if snapshots_blob:
                used.add(snapshots_blob)
                used.update(json.loads(self.blobs.get_json(snapshots_blob)).values())
        return used

    def gc(self, retention: timedelta, *, dry_run: bool = False) -> dict[str, int]:
        """Remove blobs nothing refers to and that are older than ``retention``; never a younger one."""
        used = self.referenced_blobs()
        cutoff = time.time() - retention.total_seconds()
        counts = {"removed": 0, "removed_bytes": 0, "kept_in_retention": 0, "referenced": len(used)}
        for digest in list(self.blobs):
            if digest in used:
                continue
            path = self.blobs.path(digest)
            info = path.stat()
            if info.st_mtime > cutoff:
                counts["kept_in_retention"] += 1
                continue
            counts["removed"] += 1
            counts["removed_bytes"] += info.st_size
            if not dry_run:
                path.unlink()
        return counts

    def stats(self) -> dict[str, int]:
        """Counts of sources, stage records, runs, findings (current and superseded) and blob bytes."""
        with self.session() as s:
            def count(table: Any, *where: Any) -> int:
                return int(s.scalar(select(func.count()).select_from(table).where(*where)) or 0)

            counts = {
                "sources": count(SourceRow),
                "stage_records": count(StageRecordRow),
                "runs": count(RunRow),
                "findings_current": count(FindingRow, FindingRow.superseded_at.is_(None)),
                "findings_superseded": count(FindingRow, FindingRow.superseded_at.is_not(None)),
            }
        return {**counts, "blob_bytes": self.blobs.size()}


def _finding_row(
    finding: Mapping[str, Any], body: str, source_key: str, run_key: str, snapshots: Mapping[str, str],
) -> FindingRow:
    """A finding's row under ``run_key``, with the blob of its evidence snapshot (if the run stored one)."""
    name = (finding.get("evidence") or {}).get("snapshot")
    return FindingRow(finding_id=finding["id"], source_key=source_key, run_key=run_key, body=body,
                      snapshot_blob=snapshots.get(name) if name else None)
