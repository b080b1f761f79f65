"""Content-addressed files: a blob's name is the sha256 of its bytes."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from monitor.errors import LivemonError

__all__ = ["BlobStore", "file_sha256"]

_SHA256 = re.compile(r"[0-9a-f]{64}")


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes, read in blocks."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class BlobStore:
    """Blobs under ``root/ab/cdef…``; written once, atomically, never changed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, digest: str) -> Path:
        if not _SHA256.fullmatch(digest):
            raise LivemonError(f"not a sha256 digest: {digest!r}")
        return self.root / digest[:2] / digest[2:]

    def put(self, data: bytes) -> str:
        """Store ``data``; return its sha256 (the same bytes are stored once)."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.path(digest)
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp.name, path)
        return digest

    def get(self, digest: str) -> bytes:
        """The bytes of a blob; a missing or altered blob is an error naming it."""
        path = self.path(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError as e:
            raise LivemonError(f"blob {digest} is missing from the store ({path})") from e
        if hashlib.sha256(data).hexdigest() != digest:
            raise LivemonError(f"blob {digest} was altered: its content no longer matches its hash ({path})")
        return data

    def put_json(self, data: bytes) -> str:
        """Store JSON gzip-compressed (mtime 0, so the same JSON gives the same blob)."""
        return self.put(gzip.compress(data, compresslevel=6, mtime=0))

    def get_json(self, digest: str) -> bytes:
        return gzip.decompress(self.get(digest))

    def __iter__(self) -> Iterator[str]:
        for path in self.root.glob("??/*"):
            digest = path.parent.name + path.name
            if _SHA256.fullmatch(digest):
                yield digest

    def size(self) -> int:
        return sum(self.path(d).stat().st_size for d in self)
