"""Findings posted to a livemon service (``--to URL``): evidence first, by sha256, then the findings in batches.

Each finding's snapshot (JPEG) and clip (MP4) are uploaded with ``PUT /api/v1/evidence/{sha256}``
(skipped when a ``HEAD`` finds the service has them), then up to :data:`BATCH` findings at a time go
to ``POST /api/v1/findings`` with ``snapshot_sha256``, ``clip_sha256`` and ``clip_start`` in their
evidence. Both calls are idempotent, so anything may be sent twice. A failing call is retried with
backoff; what still cannot be sent is appended to a spool (``<out>.pending.jsonl``, its evidence
copied into ``<out>.pending_blobs/``), sent first on the next run or by ``livemon push``, and
reported at the end, never dropped.

The URL comes from the operator, never from a stream: only http and https are accepted, no
redirect is followed, and the token travels only in the ``Authorization`` header.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from monitor.errors import ConfigError, LivemonError

__all__ = [
    "BATCH",
    "QueueSink",
    "QueueTarget",
    "is_spool",
    "queue_target",
    "read_findings",
    "spool_path",
]

log = logging.getLogger(__name__)

BATCH = 100
"""Findings per POST."""
BATCH_WAIT = 2.0
"""Seconds a finding waits for its batch to fill (a watch) before the batch is sent anyway."""
RETRY_WAITS = (0.5, 1.0, 2.0, 4.0)
"""Seconds before each new try of a failing call."""
DOWN_BACKOFF = (5.0, 60.0)
"""After a batch is spooled, new findings go straight to the spool for this long (doubling up to the second)."""
SPOOL_SUFFIX = ".pending.jsonl"
MAX_EVIDENCE_BYTES = 64 * 1024 * 1024
"""The service's limit for one evidence upload."""
_MAGIC = {"image/jpeg": lambda head: head.startswith(b"\xff\xd8\xff"),
          "video/mp4": lambda head: head[4:8] == b"ftyp"}
_TRANSIENT = {408, 425, 429, 500, 502, 503, 504}
_HINTS = {401: "(the token is unknown or revoked)", 403: "(the token may not post findings: it needs ingest or admin)"}


@dataclass(frozen=True, slots=True)
class QueueTarget:
    """Where findings go: the service's base URL and the bearer token of an ``ingest`` (or ``admin``) token."""

    url: str
    token: str = field(repr=False)


def queue_target(url: str | None, token: str | None) -> QueueTarget | None:
    """The operator's ``--to`` and token checked (``None`` without ``--to``); a bad one is a ConfigError."""
    if url is None:
        return None
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as e:
        raise ConfigError(f"--to is not a URL: {e}") from e
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError("--to must be an http:// or https:// URL of a livemon service, e.g. http://127.0.0.1:8000")
    if parsed.userinfo or parsed.query or parsed.fragment:
        raise ConfigError("--to takes the service's address only (no user, query or fragment); "
                          "the token goes in LIVEMON_TOKEN")
    if not token:
        raise ConfigError("--to needs the service's ingest token: set LIVEMON_TOKEN (or give --token)")
    return QueueTarget(str(parsed.copy_with(path=parsed.path.rstrip("/"))), token)


def spool_path(out: Path) -> Path:
    """The spool beside an output: ``findings.jsonl`` → ``findings.pending.jsonl``."""
    return out if is_spool(out) else out.with_name(out.stem + SPOOL_SUFFIX)


def is_spool(path: Path) -> bool:
    return path.name.endswith(SPOOL_SUFFIX)


def _blob_folder(spool: Path) -> Path:
    return spool.with_name(spool.name[: -len(".jsonl")] + "_blobs")


class _Transient(LivemonError):
    """The service could not be reached or was unavailable: worth another try."""


class _Refused(LivemonError):
    """The service answered no (bad token, role, finding): another try would get the same."""


@dataclass(slots=True)
class _Blob:
    sha256: str
    content_type: str
    path: Path | None = None
    data: bytes | None = None

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()


@dataclass(slots=True)
class _Item:
    record: dict[str, Any]
    blobs: list[_Blob]


def _file_blob(value: Any, content_type: str) -> _Blob | None:
    """The evidence file at ``value`` when it is one, of the expected kind (anything else is not sent)."""
    if not isinstance(value, str) or not value:
        return None
    path = Path(value)
    try:
        if path.stat().st_size > MAX_EVIDENCE_BYTES:
            log.warning("not sent as evidence (larger than the service takes): %s", path)
            return None
        with path.open("rb") as data:
            if not _MAGIC[content_type](data.read(12)):
                log.warning("not sent as %s evidence (its content is not of that kind): %s", content_type, path)
                return None
            digest = hashlib.sha256()
            data.seek(0)
            for block in iter(lambda: data.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return _Blob(digest.hexdigest(), content_type, path=path)


def _item(record: Mapping[str, Any], snapshot: bytes | None) -> _Item:
    """The finding as posted: its evidence names the sha256 of its snapshot and clip, which go with it."""
    evidence = dict(record.get("evidence") or {})
    blobs = []
    picture = (_Blob(hashlib.sha256(snapshot).hexdigest(), "image/jpeg", data=snapshot)
               if snapshot is not None and _MAGIC["image/jpeg"](snapshot[:12])
               else _file_blob(evidence.get("snapshot"), "image/jpeg"))
    if picture is not None:
        evidence["snapshot_sha256"] = picture.sha256
        blobs.append(picture)
    clip = _file_blob(evidence.get("clip"), "video/mp4")
    if clip is not None:
        evidence["clip_sha256"] = clip.sha256
        blobs.append(clip)
    return _Item({**record, "evidence": evidence}, blobs)


def read_findings(path: Path) -> Iterator[dict[str, Any]]:
    """The finding objects of a JSON Lines file (``scan --out``, ``watch``, ``rescan``); a bad line is an error."""
    try:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if line.strip():
                    try:
                        record = json.loads(line)
                    except ValueError as e:
                        raise LivemonError(f"{path}:{number} is not JSON: {e}") from e
                    if not isinstance(record, dict):
                        raise LivemonError(f"{path}:{number} is not a finding object")
                    yield record
    except OSError as e:
        raise LivemonError(f"cannot read {path}: {e}") from e


class QueueSink:
    """Sends findings to a livemon service; thread-safe. Use as a context manager.

    ``add`` queues one finding (and its snapshot bytes, when not in a file); a batch goes out when
    it holds :data:`BATCH` findings, on ``flush``, after ``wait`` seconds (with ``background``) and on
    close. Entering sends what an earlier run left in the spool.
    """

    def __init__(
        self, target: QueueTarget, spool: Path, *, batch: int = BATCH, wait: float = BATCH_WAIT,
        retry_waits: Sequence[float] | None = None, background: bool = False, timeout: float = 30.0,
    ) -> None:
        self.target, self.spool, self.blobs = target, spool, _blob_folder(spool)
        self.batch_size, self.wait = batch, wait
        self.retry_waits = tuple(RETRY_WAITS if retry_waits is None else retry_waits)
        self.sent = self.new = self.duplicates = self.fenced = 0
        self.last_error: str | None = None
        self._client = httpx.Client(
            base_url=target.url, headers={"Authorization": f"Bearer {target.token}"},
            timeout=httpx.Timeout(timeout, connect=5.0), follow_redirects=False,
        )
        self._known: set[str] = set()
        self._batch: list[_Item] = []
        self._oldest = 0.0
        self._down_until = 0.0
        self._backoff = DOWN_BACKOFF[0]
        self._lock = threading.Condition()
        self._send = threading.Lock()
        self._closing = False
        self._timer = threading.Thread(target=self._tick, name="livemon-queue", daemon=True) if background else None

    # the public side

    def __enter__(self) -> QueueSink:
        self.drain()
        if self._timer is not None:
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, record: Mapping[str, Any], snapshot: bytes | None = None) -> None:
        """Queue one finding (a JSONL object; its ``evidence.snapshot`` and ``evidence.clip`` files go with it)."""
        item = _item(record, snapshot)
        with self._lock:
            if not self._batch:
                self._oldest = time.monotonic()
            self._batch.append(item)
            full = len(self._batch) >= self.batch_size
            self._lock.notify_all()
        if full:
            self.flush()

    def flush(self) -> None:
        """Send every queued finding now (or spool them)."""
        with self._lock:
            items, self._batch = self._batch, []
        for start in range(0, len(items), self.batch_size):
            self._deliver(items[start:start + self.batch_size])

    def close(self) -> None:
        with self._lock:
            self._closing = True
            self._lock.notify_all()
        if self._timer is not None and self._timer.is_alive():
            self._timer.join()
        self.flush()
        self._client.close()

    @property
    def pending(self) -> int:
        """Findings in the spool, waiting for the service."""
        try:
            with self.spool.open(encoding="utf-8") as lines:
                return sum(1 for line in lines if line.strip())
        except FileNotFoundError:
            return 0

    def drain(self) -> None:
        """Send what the spool holds; keep there only what still cannot be sent."""
        with self._send:
            self._drain()

    # sending

    def _tick(self) -> None:
        """Send a batch once its oldest finding has waited ``wait`` seconds (a watch's findings trickle in)."""
        while True:
            with self._lock:
                while not self._closing:
                    left = self._oldest + self.wait - time.monotonic() if self._batch else None
                    if left is not None and left <= 0:
                        break
                    self._lock.wait(left)
                if self._closing:
                    return
            self.flush()

    def _deliver(self, items: list[_Item]) -> None:
        with self._send:
            if time.monotonic() < self._down_until or not self._try(items):
                self._spool(items)
            elif self.spool.is_file():
                self._drain()  # the service is back: send what waited

    def _drain(self) -> None:
        if not self.spool.is_file():
            return
        entries = [json.loads(line) for line in self.spool.read_text(encoding="utf-8").splitlines() if line]
        kept: list[dict[str, Any]] = []
        for start in range(0, len(entries), self.batch_size):
            chunk = entries[start:start + self.batch_size]
            items = [_Item(e["finding"], [_Blob(b["sha256"], b["content_type"], path=self.blobs / b["sha256"])
                                          for b in e["blobs"]]) for e in chunk]
            if kept or not self._try(items):
                kept += chunk
        self._rewrite_spool(kept)

    def _try(self, items: list[_Item]) -> bool:
        """Send ``items`` with retries; False (and why, in ``last_error``) when they could not be sent."""
        for wait in (*self.retry_waits, None):
            try:
                self._post(items)
            except _Transient as e:
                self.last_error = str(e)
                if wait is not None:
                    time.sleep(wait)
                    continue
            except _Refused as e:
                self.last_error = str(e)
            else:
                self._down_until, self._backoff = 0.0, DOWN_BACKOFF[0]
                return True
            break
        self._down_until = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, DOWN_BACKOFF[1])
        return False

    def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(method, url, **kwargs)
        except httpx.HTTPError as e:
            raise _Transient(f"cannot reach {self.target.url}: {e.__class__.__name__}: {e}") from e
        if response.status_code in _TRANSIENT:
            raise _Transient(f"{self.target.url} answered {response.status_code} to {method} {url}")
        if response.status_code >= 300 and not (method == "HEAD" and response.status_code == 404):
            detail = _HINTS.get(response.status_code) if method == "HEAD" else response.text[:300]
            raise _Refused(f"{self.target.url} refused {method} {url}: {response.status_code} {detail or ''}".rstrip())
        return response

    def _post(self, items: list[_Item]) -> None:
        for blob in (b for item in items for b in item.blobs):
            if blob.sha256 in self._known:
                continue
            url = f"/api/v1/evidence/{blob.sha256}"
            if self._call("HEAD", url).status_code == 404:
                try:
                    data = blob.read()
                except OSError as e:
                    raise _Refused(f"evidence {blob.sha256} cannot be read: {e}") from e
                self._call("PUT", url, content=data, headers={"Content-Type": blob.content_type})
            self._known.add(blob.sha256)
        result = self._call("POST", "/api/v1/findings", json=[item.record for item in items]).json()
        self.sent += len(items)
        self.new += int(result.get("new", 0))
        self.duplicates += int(result.get("duplicates", 0))
        fenced = result.get("fenced") or []
        if fenced:  # watch --from: found after this worker's lease on the room had ended (they stay in --out)
            self.fenced += len(fenced)
            log.warning("the service refused %d finding(s) found after this worker lost their room: %s",
                        len(fenced), ", ".join(map(str, fenced[:10])))

    # the spool

    def _spool(self, items: Iterable[_Item]) -> None:
        """Append ``items`` to the spool, their evidence copied beside it (durably: flushed and synced)."""
        self.spool.parent.mkdir(parents=True, exist_ok=True)
        self.blobs.mkdir(parents=True, exist_ok=True)
        lines = []
        for item in items:
            for blob in item.blobs:
                kept = self.blobs / blob.sha256
                if kept.exists():
                    continue
                partial = kept.with_name(kept.name + ".partial")
                if blob.data is not None:
                    partial.write_bytes(blob.data)
                else:
                    assert blob.path is not None
                    shutil.copyfile(blob.path, partial)
                os.replace(partial, kept)
            lines.append(json.dumps({"finding": item.record, "blobs": [
                {"sha256": b.sha256, "content_type": b.content_type} for b in item.blobs]}, ensure_ascii=False))
        with self.spool.open("a", encoding="utf-8") as out:
            out.write("".join(line + "\n" for line in lines))
            out.flush()
            os.fsync(out.fileno())
        log.info("%d finding(s) kept in %s until %s can be reached: %s", len(lines), self.spool,
                    self.target.url, self.last_error)

    def _rewrite_spool(self, kept: list[dict[str, Any]]) -> None:
        """The spool holds ``kept`` only (removed with its evidence folder when empty)."""
        if not kept:
            self.spool.unlink(missing_ok=True)
            shutil.rmtree(self.blobs, ignore_errors=True)
            return
        partial = self.spool.with_name(self.spool.name + ".partial")
        with partial.open("w", encoding="utf-8") as out:
            out.write("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in kept))
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, self.spool)
        needed = {b["sha256"] for e in kept for b in e["blobs"]}
        for blob in self.blobs.iterdir() if self.blobs.is_dir() else ():
            if blob.name not in needed:
                blob.unlink(missing_ok=True)
