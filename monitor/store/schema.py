"""Tables of the store (SQLAlchemy 2). Changed only together with a migration in ``migrations/versions``."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "FindingRow", "RunRow", "SourceRow", "SourceRunRow", "StageRecordRow", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class SourceRow(Base):
    """A recording or stream: ``sha256:<hex>`` of a file's bytes, or ``url:<hex>`` of URL and capture time."""

    __tablename__ = "sources"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    spec: Mapped[str] = mapped_column(Text)
    """Where it was last read from (a path or URL): a hostile string, stored as data."""
    size: Mapped[int | None] = mapped_column(BigInteger)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StageRecordRow(Base):
    """One observation stage's output for one source, made under one stage key (options + model versions)."""

    __tablename__ = "stage_records"
    __table_args__ = (UniqueConstraint("source_key", "stage", "stage_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_key: Mapped[str] = mapped_column(ForeignKey("sources.key"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    stage_key: Mapped[str] = mapped_column(String(64))
    blob: Mapped[str] = mapped_column(String(64))
    """sha256 of the gzip'd JSON record."""
    snapshots_blob: Mapped[str | None] = mapped_column(String(64))
    """sha256 of the JSON map from snapshot name to the sha256 of its JPEG (screen stage)."""
    parts_blob: Mapped[str | None] = mapped_column(String(64))
    """sha256 of the JSON list of the parts its long sequences are kept in (``None``: all in ``blob``)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RunRow(Base):
    """A configuration sources were scanned under: the run key is the hash of every stage and detector key."""

    __tablename__ = "runs"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    settings: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SourceRunRow(Base):
    """Where a source stands under a run: ``pending``, ``done`` or ``failed`` (with the error)."""

    __tablename__ = "source_runs"

    source_key: Mapped[str] = mapped_column(ForeignKey("sources.key"), primary_key=True)
    run_key: Mapped[str] = mapped_column(ForeignKey("runs.key"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    findings: Mapped[int] = mapped_column(Integer, default=0)
    summary_blob: Mapped[str | None] = mapped_column(String(64))
    """sha256 of the JSON summary the run's report shows (warnings, digital-human judgement, provenance)."""
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class FindingRow(Base):
    """A finding as found; a later run that no longer finds it (or finds it changed) supersedes it."""

    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_current", "source_key", "superseded_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    finding_id: Mapped[str] = mapped_column(String(32), index=True)
    source_key: Mapped[str] = mapped_column(ForeignKey("sources.key"))
    run_key: Mapped[str] = mapped_column(ForeignKey("runs.key"))
    body: Mapped[str] = mapped_column(Text)
    """The finding as JSON (its JSONL line, snapshot by name)."""
    snapshot_blob: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    superseded_by_run: Mapped[str | None] = mapped_column(String(64))
