"""Frame snapshots kept as small JPEGs while scanning, for the evidence of findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from monitor.media.types import SampledFrame

__all__ = ["SnapshotStore"]

SNAPSHOT_WIDTH = 480


@dataclass(slots=True)
class SnapshotStore:
    """JPEG bytes of the sampled frames, by name, with their stream times.

    ``limit`` keeps only the newest that many (a live room runs for hours; its findings'
    snapshots are written as they are found).
    """

    jpeg_quality: int = 80
    limit: int | None = None
    prefix: str = ""
    """Put before every name (one store per room in a watch: ``room2_``)."""
    images: dict[str, bytes] = field(default_factory=dict)
    index: list[tuple[float, str]] = field(default_factory=list)

    def add(self, frame: SampledFrame) -> str:
        name = f"{self.prefix}frame_{frame.index:06d}_{frame.time:09.2f}s.jpg"
        image = frame.image
        if image.shape[1] > SNAPSHOT_WIDTH:
            height = round(image.shape[0] * SNAPSHOT_WIDTH / image.shape[1])
            image = cv2.resize(image, (SNAPSHOT_WIDTH, height), interpolation=cv2.INTER_AREA)
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if ok:
            self.images[name] = np.asarray(data).tobytes()
            self.index.append((frame.time, name))
        if self.limit is not None and len(self.index) > self.limit:
            for _, old in self.index[: -self.limit]:
                self.images.pop(old, None)
            del self.index[: -self.limit]
        return name

    def keep_only(self, names: set[str]) -> None:
        """Drop the snapshots no finding refers to."""
        self.images = {n: b for n, b in self.images.items() if n in names}

    def write(self, folder: Path) -> dict[str, Path]:
        """Write the kept snapshots into ``folder``; return their paths by name."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name, data in self.images.items():
            path = folder / name
            path.write_bytes(data)
            paths[name] = path
        return paths
