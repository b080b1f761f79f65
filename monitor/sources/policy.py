"""Which room addresses may be opened: the operator's protocols and hosts, told to FFmpeg as well.

A room address is untrusted input: a room added through the service is typed by whoever
runs the room, and the server it names answers with redirects and playlists of its own.
:meth:`SourcePolicy.check` refuses an address whose protocol or host the operator has not
allowed, before anything is opened; :meth:`SourcePolicy.ffmpeg_options` gives FFmpeg the
same protocols as its ``protocol_whitelist`` (which FFmpeg applies to every nested open: an
HLS playlist's segments, keys and variant playlists, redirects) and a cap on redirects. A
local recording is opened with the ``file`` protocol alone, so it can never reach the network.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from monitor.errors import ForbiddenSource

if TYPE_CHECKING:
    from monitor.config import ScanOptions

__all__ = ["DEFAULT_PROTOCOLS", "NETWORK_PROTOCOLS", "SourcePolicy", "scheme_of"]

NETWORK_PROTOCOLS: tuple[str, ...] = ("http", "https", "rtmp", "rtmps", "rtsp", "srt")
"""The protocols an operator may allow. FFmpeg's file, pipe, fd, concat, subfile, data, crypto,
cache, tee and the like are never among them."""
DEFAULT_PROTOCOLS: tuple[str, ...] = ("http", "https", "rtmp", "rtmps")
"""Allowed unless the operator says otherwise; HLS is read over http and https."""
_CARRIERS: dict[str, tuple[str, ...]] = {
    "http": ("tcp",), "https": ("tcp", "tls"), "rtmp": ("tcp",), "rtmps": ("tcp", "tls"),
    "rtsp": ("tcp", "udp", "rtp"), "srt": (),
}
"""The FFmpeg protocols each allowed protocol is carried over (FFmpeg checks those against the list too)."""
LOCAL_WHITELIST = "file"


def scheme_of(spec: str) -> str:
    """The address's protocol in lower case, or ``""`` for a local path (``C:/x.mp4`` included)."""
    scheme = urlsplit(spec).scheme.lower()
    return scheme if len(scheme) > 1 else ""


@dataclass(frozen=True, slots=True)
class SourcePolicy:
    """What a room address may be."""

    protocols: tuple[str, ...] = DEFAULT_PROTOCOLS
    hosts: tuple[str, ...] = ()
    """Allowed hosts: ``cdn.example.com`` (that host), ``*.example.com`` (its subdomains); empty: any host."""
    max_redirects: int = 3
    """HTTP redirects followed at most, by livemon's playlist check and by FFmpeg."""
    max_playlist_bytes: int = 4 * 1024 * 1024
    """An HLS playlist larger than this is refused (a 12-hour recording's, in 2 s segments, is ~1.5 MiB)."""

    def __post_init__(self) -> None:
        unknown = [p for p in self.protocols if p not in NETWORK_PROTOCOLS]
        if unknown:
            raise ValueError(f"protocols {unknown} cannot be allowed; choose from {', '.join(NETWORK_PROTOCOLS)}")

    @classmethod
    def from_options(cls, options: ScanOptions) -> SourcePolicy:
        return cls(
            protocols=tuple(options.allowed_protocols), hosts=tuple(h.lower() for h in options.allowed_hosts),
            max_redirects=options.max_redirects, max_playlist_bytes=options.max_playlist_bytes,
        )

    def check(self, address: str, *, named_by: str | None = None) -> None:
        """Refuse ``address`` unless its protocol and host are allowed; ``named_by`` is the playlist that named it."""
        parts = urlsplit(address)
        scheme = scheme_of(address)
        where = f" (named by the playlist {named_by})" if named_by else ""
        if scheme not in self.protocols:
            hint = "; give a local recording as a plain path" if scheme == "file" and not named_by else ""
            raise ForbiddenSource(
                f"地址协议不允许 protocol '{scheme or 'file'}' is not allowed{where}: "
                f"allowed are {', '.join(self.protocols)}{hint}",
                source=address,
            )
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise ForbiddenSource(f"地址没有主机 the address names no host{where}", source=address)
        if self.hosts and not _host_allowed(host, self.hosts):
            raise ForbiddenSource(
                f"主机不允许 host '{host}' is not allowed{where}: allowed are {', '.join(self.hosts)}",
                source=address,
            )

    def ffmpeg_options(self) -> dict[str, str]:
        """FFmpeg's options for a network address: the protocol whitelist and the redirect cap."""
        return {"protocol_whitelist": self.whitelist(self.protocols), "max_redirects": str(self.max_redirects)}

    @staticmethod
    def whitelist(protocols: Iterable[str]) -> str:
        """The allowed protocols and the protocols they are carried over, as FFmpeg's comma-separated list."""
        chosen = list(protocols)
        return ",".join(dict.fromkeys([*chosen, *(c for p in chosen for c in _CARRIERS[p])]))


def _host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    host = host.lower()
    for entry in allowed:
        if entry.startswith("*."):
            if host.endswith(entry[1:]):
                return True
        elif host == entry:
            return True
    return False
