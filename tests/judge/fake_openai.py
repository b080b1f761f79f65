"""A real OpenAI-compatible chat server on a loopback socket, answering as each test tells it to."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = Callable[[dict[str, Any]], tuple[int, bytes]]
"""Request body in, (status, response body) out."""


def completion(content: str | None, *, refusal: str | None = None, finish: str = "stop") -> bytes:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if refusal is not None:
        message["refusal"] = refusal
    return json.dumps({
        "id": "chatcmpl-test", "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1200, "completion_tokens": 40, "total_tokens": 1240},
    }, ensure_ascii=False).encode()


def verdict(verdict: str = "violation", category: str = "fake_scarcity", confidence: float = 0.9,
            rationale: str = "制造虚假稀缺，违反《网络直播营销管理办法（试行）》第十八条。") -> Answer:
    body = json.dumps({"verdict": verdict, "category": category, "rationale": rationale, "confidence": confidence},
                      ensure_ascii=False)
    return lambda request: (200, completion(body))


@dataclass
class FakeServer:
    answer: Answer
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def fake_openai(answer: Answer, delay: float = 0.0) -> Iterator[FakeServer]:
    """Serve ``answer`` on ``http://127.0.0.1:PORT/v1`` (``/v1/chat/completions``) while the block runs."""
    state = FakeServer(answer, delay)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with state._lock:
                state.requests.append(body)
                state.headers.append(dict(self.headers))
                state.in_flight += 1
                state.max_in_flight = max(state.max_in_flight, state.in_flight)
            try:
                if state.delay:
                    time.sleep(state.delay)
                status, payload = state.answer(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                with state._lock:
                    state.in_flight -= 1

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
