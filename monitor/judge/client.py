"""An OpenAI-compatible chat endpoint (vLLM, SGLang, llama.cpp's server, a hosted API) behind one method.

:class:`ChatClient` is the interface the judge needs; :class:`OpenAIChatClient` is the httpx
implementation: timeouts, retries of connection errors, timeouts, 429 and 5xx with jittered
exponential backoff, and every failure translated into :class:`~monitor.errors.JudgeError`.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import httpx

from monitor.errors import ConfigError, JudgeError

__all__ = ["ChatClient", "ChatReply", "OpenAIChatClient", "chat_url"]

ResponseFormat = Literal["json_schema", "json_object", "none"]
RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
"""Seconds to connect, and to wait for each read of the answer."""


@dataclass(frozen=True, slots=True)
class ChatReply:
    """The assistant's message and what it cost."""

    content: str | None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0


class ChatClient(Protocol):
    """Sends one chat and returns the reply, or raises JudgeError."""

    def complete(self, messages: Sequence[Mapping[str, str]], schema: Mapping[str, Any]) -> ChatReply: ...


def chat_url(url: str) -> str:
    """The chat-completions URL of an OpenAI-style base URL (``http://host:8000/v1``) or of itself."""
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError(f"--judge must be an http:// or https:// URL, got {url!r}")
    text = url.rstrip("/")
    return text if text.endswith("/chat/completions") else text + "/chat/completions"


class OpenAIChatClient:
    """POSTs to ``<url>/chat/completions`` with ``temperature`` 0 and the verdict schema as ``response_format``.

    ``response_format``: ``json_schema`` (the OpenAI form; vLLM and SGLang take it), ``json_object``
    (with the schema beside it: llama-cpp-python's form) or ``none``. A server that refuses
    ``json_schema`` (400 or 422, or an error naming ``response_format``, as llama-cpp-python's 500)
    is asked again, and from then on, with ``json_object``.
    """

    def __init__(
        self,
        url: str,
        model: str,
        *,
        key: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retries: int = 2,
        backoff: float = 0.5,
        max_tokens: int = 256,
        response_format: ResponseFormat = "json_schema",
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url, self.model = chat_url(url), model
        self.retries, self.backoff, self.max_tokens = retries, backoff, max_tokens
        self.response_format: ResponseFormat = response_format
        self._sleep = sleep
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._http = httpx.Client(timeout=timeout, headers=headers, transport=transport)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OpenAIChatClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def complete(self, messages: Sequence[Mapping[str, str]], schema: Mapping[str, Any]) -> ChatReply:
        started = time.perf_counter()
        response = self._post(messages, schema)
        if self.response_format == "json_schema" and _format_refused(response):
            with self._lock:
                self.response_format = "json_object"
            response = self._post(messages, schema)
        if response.status_code >= 400:
            raise JudgeError("http", f"the judge endpoint answered HTTP {response.status_code}")
        reply = _reply(response)
        return ChatReply(reply[0], reply[1], reply[2], round(time.perf_counter() - started, 3))

    def _body(self, messages: Sequence[Mapping[str, str]], schema: Mapping[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model, "messages": list(messages), "temperature": 0, "max_tokens": self.max_tokens,
        }
        if self.response_format == "json_schema":
            body["response_format"] = {
                "type": "json_schema", "json_schema": {"name": "livemon_verdict", "schema": schema, "strict": True},
            }
        elif self.response_format == "json_object":
            body["response_format"] = {"type": "json_object", "schema": schema}
        return body

    def _post(self, messages: Sequence[Mapping[str, str]], schema: Mapping[str, Any]) -> httpx.Response:
        """POST with retries; the last response (any status) or a JudgeError for a transport failure."""
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self._http.post(self.url, json=self._body(messages, schema))
            except httpx.TimeoutException as e:
                if last:
                    raise JudgeError("timeout", f"no answer from the judge in time ({type(e).__name__})") from e
            except httpx.TransportError as e:
                if last:
                    raise JudgeError("unreachable", f"cannot reach the judge endpoint ({type(e).__name__})") from e
            else:
                if response.status_code not in RETRY_STATUS or last or _format_refused(response):
                    return response
            self._sleep(min(10.0, self.backoff * 2**attempt) * random.uniform(0.5, 1.5))
        raise AssertionError("unreachable: the loop returns or raises on its last attempt")


def _format_refused(response: httpx.Response) -> bool:
    """Whether the server refused the request's ``response_format`` (rather than failing to answer)."""
    return response.status_code in (400, 422) or (
        response.status_code >= 500 and b"response_format" in response.content
    )


def _reply(response: httpx.Response) -> tuple[str | None, int, int]:
    """Content and token counts of a chat-completions response; a broken envelope is ``malformed``."""
    try:
        data = response.json()
        choice = data["choices"][0]
        message = choice["message"]
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise JudgeError("malformed", "the judge endpoint's response is not a chat completion") from e
    if not isinstance(message, dict):
        raise JudgeError("malformed", "the judge endpoint's message is not an object")
    if message.get("refusal") or choice.get("finish_reason") == "content_filter":
        raise JudgeError("refusal", "the model declined to answer")
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    content = message.get("content")
    return (
        content if isinstance(content, str) else None,
        _count(usage.get("prompt_tokens")),
        _count(usage.get("completion_tokens")),
    )


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
