"""Rescans on a Ray cluster: one actor per worker holds the models; each source goes to a free actor.

The actors open the same store (a shared folder for blobs, and ``--db`` a database every node
reaches: PostgreSQL on a cluster). A worker that dies mid-file is restarted and its file tried
again: the store commits a source's findings with its ``done`` status in one transaction, so a
retried file is either done again from the stored stages or found already done; nothing is
lost or written twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from monitor.config import ScanOptions
from monitor.errors import ConfigError
from monitor.pipeline.rescan import RescanWorker
from monitor.results import RescanItem
from monitor.sources.batch import BatchSource
from monitor.store import Store

__all__ = ["RayBackend"]


class _RayWorker:
    """The body of a Ray actor: a :class:`RescanWorker` on its own connection to the store."""

    def __init__(self, folder: str, db_url: str | None, options: dict[str, Any]) -> None:
        self.worker = RescanWorker(ScanOptions.model_validate(options), Store.open(Path(folder), db_url))

    def run(self, item: BatchSource) -> RescanItem:
        return self.worker.run(item)


class RayBackend:
    """Runs a rescan's sources on Ray (``address``: an existing cluster; ``None``: the one this process
    is connected to, or a new local one)."""

    def __init__(
        self,
        folder: Path,
        db_url: str | None = None,
        *,
        address: str | None = None,
        workers: int | None = None,
        cpus_per_worker: float = 1.0,
        max_retries: int = 2,
    ) -> None:
        self.folder, self.db_url, self.address = folder, db_url, address
        self.workers, self.cpus_per_worker, self.max_retries = workers, cpus_per_worker, max_retries

    def _connect(self) -> bool:
        """Connect to Ray; True when this call started it (and so must stop it)."""
        try:
            import ray
        except ImportError as e:
            raise ConfigError("--backend ray needs Ray: pip install 'livemon[ray]'") from e
        if ray.is_initialized():
            return False
        try:
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as e:
            raise ConfigError(f"cannot reach the Ray cluster at {self.address!r}: {e}") from e
        return True

    def run(self, items: Sequence[BatchSource], options: ScanOptions) -> Iterator[RescanItem]:
        """Each source's outcome, as each finishes (not in the order given)."""
        import ray
        from ray.util import ActorPool

        started_here = self._connect()
        try:
            cpus = float(ray.cluster_resources().get("CPU", 1.0))
            count = min(len(items), self.workers or max(1, int(cpus // self.cpus_per_worker)))
            actor = ray.remote(num_cpus=self.cpus_per_worker, max_restarts=-1, max_task_retries=self.max_retries)(
                _RayWorker
            )
            actors: list[Any] = [  # Ray's stubs type a handle as the class too
                actor.remote(str(self.folder), self.db_url, options.model_dump(mode="json")) for _ in range(count)
            ]
            try:
                yield from ActorPool(actors).map_unordered(lambda a, item: a.run.remote(item), list(items))
            finally:
                for a in actors:
                    ray.kill(a)
        finally:
            if started_here:
                ray.shutdown()
