"""Frame snapshots kept as small JPEGs while scanning, for the evidence of findings."""

from __future__ import annotations

import shutil
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from monitor.media.types import SampledFrame

__all__ = ["SNAPSHOT_WIDTH", "SnapshotStore"]

SNAPSHOT_WIDTH = 480


class _SpilledImages(Mapping[str, bytes]):
    """Snapshots written to a folder, read back one at a time."""

    def __init__(self, folder: Path, names: dict[str, None]) -> None:
        self.folder, self.names = folder, names

    def __getitem__(self, name: str) -> bytes:
        if name not in self.names:
            raise KeyError(name)
        return (self.folder / name).read_bytes()

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.names))

    def __len__(self) -> int:
        return len(self.names)


@dataclass(slots=True, weakref_slot=True)
class SnapshotStore:
    """JPEG bytes of the sampled frames, by name, with their stream times.

    ``limit`` keeps only the newest that many (a live room runs for hours; its findings'
    snapshots are written as they are found). With ``spill`` (a folder the store owns) each
    snapshot goes to disk as it is made, so a six-hour scan does not hold 20,000 pictures in
    memory; :meth:`keep_only` then removes the ones no finding refers to, and the kept ones stay
    on disk until :meth:`close` (or until the store is garbage-collected), so a run with thousands
    of findings holds none of their pictures in memory.
    """

    jpeg_quality: int = 80
    limit: int | None = None
    prefix: str = ""
    """Put before every name (one store per room in a watch: ``room2_``)."""
    spill: Path | None = None
    on_index: Callable[[tuple[float, str]], None] | None = None
    """Hands each (stream time, name) to a record written as it is made, instead of keeping it in :attr:`index`."""
    index: list[tuple[float, str]] = field(default_factory=list)
    _memory: dict[str, bytes] = field(default_factory=dict)
    _spilled: dict[str, None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.spill is not None:
            weakref.finalize(self, shutil.rmtree, self.spill, True)

    @property
    def images(self) -> Mapping[str, bytes]:
        """The snapshots by name (read from disk on access when spilled)."""
        return _SpilledImages(self.spill, self._spilled) if self.spill is not None else self._memory

    def add(self, frame: SampledFrame) -> str:
        name = f"{self.prefix}frame_{frame.index:06d}_{frame.time:09.2f}s.jpg"
        image = frame.image
        if image.shape[1] > SNAPSHOT_WIDTH:
            height = round(image.shape[0] * SNAPSHOT_WIDTH / image.shape[1])
            image = cv2.resize(image, (SNAPSHOT_WIDTH, height), interpolation=cv2.INTER_AREA)
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if ok:
            if self.spill is not None:
                self.spill.mkdir(parents=True, exist_ok=True)
                (self.spill / name).write_bytes(np.asarray(data).tobytes())
                self._spilled[name] = None
            else:
                self._memory[name] = np.asarray(data).tobytes()
            if self.on_index is not None:
                self.on_index((frame.time, name))
            else:
                self.index.append((frame.time, name))
        if self.limit is not None and len(self.index) > self.limit:
            for _, old in self.index[: -self.limit]:
                self._memory.pop(old, None)
                if self.spill is not None and self._spilled.pop(old, 0) is None:
                    (self.spill / old).unlink(missing_ok=True)
            del self.index[: -self.limit]
        return name

    def keep_only(self, names: set[str]) -> None:
        """Drop the snapshots no finding refers to (spilled ones that are kept stay on disk)."""
        self._memory = {n: data for n, data in self._memory.items() if n in names}
        if self.spill is not None:
            for name in [n for n in self._spilled if n not in names]:
                (self.spill / name).unlink(missing_ok=True)
                del self._spilled[name]

    def close(self) -> None:
        """Remove the spill folder (spilled snapshots are gone)."""
        if self.spill is not None:
            shutil.rmtree(self.spill, ignore_errors=True)
            self.spill, self._spilled = None, {}

    def write(self, folder: Path) -> dict[str, Path]:
        """Write the kept snapshots into ``folder``; return their paths by name."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name in self.images:
            path = folder / name
            if self.spill is not None:
                shutil.copyfile(self.spill / name, path)
            else:
                path.write_bytes(self._memory[name])
            paths[name] = path
        return paths
