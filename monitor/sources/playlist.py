"""A look at an http(s) room address before FFmpeg opens it: its redirects, and every address its playlist names.

FFmpeg's protocol whitelist keeps every nested open to the allowed protocols, but it knows no
host list and no playlist size, and a segment it refuses surfaces only as "invalid data". So an
http(s) address is fetched here first, following redirects by hand (each hop checked against the
policy, at most ``max_redirects``). When it answers with an HLS playlist (``#EXTM3U``), at most
``max_playlist_bytes`` of it are read and every address it names (segments, keys, init sections,
variant and rendition playlists, and the addresses those name) is checked too; an encrypted
playlist is refused, as FFmpeg's crypto protocol is never allowed. Any other answer (an FLV or
TS stream) is left to FFmpeg after its first bytes. A live playlist is checked each time the room
is opened (and so at every reconnect); between opens the whitelist alone guards its reloads.
"""

from __future__ import annotations

import functools
import re
import ssl
from urllib.parse import urljoin

import certifi
import httpx

from monitor.errors import ForbiddenSource, UnreachableSource
from monitor.sources.policy import SourcePolicy

__all__ = ["MAX_NESTED_PLAYLISTS", "check_address", "playlist_addresses"]

MAX_NESTED_PLAYLISTS = 16
"""Variant and rendition playlists a master playlist may name."""
_MAGIC = b"#EXTM3U"
_BOM = b"\xef\xbb\xbf"
_URI = re.compile(r'URI="([^"]*)"')
_METHOD = re.compile(r"METHOD=([A-Z0-9-]+)")
_NESTED_TAGS = ("#EXT-X-MEDIA:", "#EXT-X-I-FRAME-STREAM-INF:")


def check_address(url: str, policy: SourcePolicy, timeout: float) -> None:
    """Refuse ``url`` (:class:`ForbiddenSource`) when it, a redirect or its playlist leads where the policy
    does not allow; :class:`UnreachableSource` when it cannot be fetched."""
    with httpx.Client(timeout=timeout, follow_redirects=False, verify=_tls()) as client:
        fetched = _fetch(client, url, policy)
        if fetched is None:
            return
        text, final = fetched
        segments, nested = playlist_addresses(text, final)
        if len(nested) > MAX_NESTED_PLAYLISTS:
            raise ForbiddenSource(
                f"播放列表过多 the playlist names {len(nested)} playlists (at most {MAX_NESTED_PLAYLISTS})", source=url
            )
        for address in (*segments, *nested):
            policy.check(address, named_by=final)
        for playlist in nested:
            inner = _fetch(client, playlist, policy)
            if inner is not None:
                inner_segments, inner_nested = playlist_addresses(*inner)
                for address in (*inner_segments, *inner_nested):
                    policy.check(address, named_by=inner[1])


@functools.cache
def _tls() -> ssl.SSLContext:
    """The certificate store, loaded once (loading it takes ~0.1 s: more than the rest of the check)."""
    return ssl.create_default_context(cafile=certifi.where())


def playlist_addresses(text: str, base: str) -> tuple[list[str], list[str]]:
    """The absolute addresses ``text`` names: media (segments, keys, init sections) and nested playlists.

    Raises :class:`ForbiddenSource` for an encrypted playlist (FFmpeg would need its crypto protocol)."""
    media: list[str] = []
    nested: list[str] = []
    variant_next = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            method = _METHOD.search(line) if line.startswith(("#EXT-X-KEY:", "#EXT-X-SESSION-KEY:")) else None
            if method is not None and method.group(1) != "NONE":
                raise ForbiddenSource(
                    f"加密的 HLS 不支持 encrypted HLS ({method.group(1)}) needs FFmpeg's crypto protocol, "
                    "which livemon never opens", source=base,
                )
            found = [urljoin(base, uri) for uri in _URI.findall(line)]
            (nested if line.startswith(_NESTED_TAGS) else media).extend(found)
            variant_next = line.startswith("#EXT-X-STREAM-INF:")
            continue
        (nested if variant_next else media).append(urljoin(base, line))
        variant_next = False
    return media, nested


def _fetch(client: httpx.Client, url: str, policy: SourcePolicy) -> tuple[str, str] | None:
    """The playlist at ``url`` and the address it came from after redirects; ``None`` when ``url`` is not a playlist."""
    for _ in range(policy.max_redirects + 1):
        policy.check(url)
        try:
            with client.stream("GET", url) as response:
                if response.is_redirect:
                    url = urljoin(url, response.headers.get("location", ""))
                    continue
                if response.status_code >= 400:
                    raise UnreachableSource(f"cannot open the stream: HTTP {response.status_code}", source=url)
                return _read_playlist(response, url, policy.max_playlist_bytes)
        except httpx.HTTPError as e:
            raise UnreachableSource(f"cannot open the stream: {e}", source=url) from e
    raise ForbiddenSource(f"重定向过多 more than {policy.max_redirects} redirects", source=url)


def _read_playlist(response: httpx.Response, url: str, limit: int) -> tuple[str, str] | None:
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        head = body.removeprefix(_BOM)
        if len(head) >= len(_MAGIC) and not head.startswith(_MAGIC):
            return None
        if len(body) > limit:
            raise ForbiddenSource(f"播放列表过大 the playlist is larger than {limit} bytes", source=url)
    if not body.removeprefix(_BOM).startswith(_MAGIC):
        return None
    return body.decode("utf-8-sig", errors="replace"), url
