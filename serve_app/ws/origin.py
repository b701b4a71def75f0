"""The browser origin allow-list of the dashboard socket.

A browser always sends ``Origin`` on a WebSocket handshake; other clients
usually send none and are allowed (they authenticate like any API client).
Allowed: the app's own origin (same host and port as the ``Host`` header),
and the configured entries — an exact origin ``https://noc.example.com``, a
host on any port ``http://localhost:*``, or ``*`` for every origin."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def _parts(origin: str) -> tuple[str, str, int | None] | None:
    """``(scheme, host, port)`` of an origin, None when it is not one."""
    try:
        u = urlsplit(origin.strip().lower())
        port = u.port
    except ValueError:
        return None
    if u.scheme not in _DEFAULT_PORTS or not u.hostname:
        return None
    return u.scheme, u.hostname, port if port is not None else _DEFAULT_PORTS[u.scheme]


def _same_host(origin: tuple[str, str, int | None], host_header: str | None) -> bool:
    if not host_header:
        return False
    scheme, host, port = origin
    h = _parts(f"{scheme}://{host_header}")
    return h is not None and h[1] == host and h[2] == port


def _matches(origin: tuple[str, str, int | None], pattern: str) -> bool:
    pattern = pattern.strip().lower()
    if pattern == "*":
        return True
    any_port = pattern.endswith(":*")
    want = _parts(pattern[:-2] if any_port else pattern)
    if want is None:
        return False
    return want[:2] == origin[:2] and (any_port or want[2] == origin[2])


def origin_allowed(origin: str | None, host_header: str | None, allowed: Iterable[str]) -> bool:
    """May a handshake with this ``Origin`` (None: not a browser) proceed?"""
    if origin is None or origin == "":
        return True
    parts = _parts(origin)
    if parts is None:  # "null" (sandboxed or file:// pages) and garbage
        return any(p.strip() in ("*", origin) for p in allowed)
    return _same_host(parts, host_header) or any(_matches(parts, p) for p in allowed)
