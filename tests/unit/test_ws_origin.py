"""The dashboard socket's origin allow-list: browsers from the app's own
origin and the allowed ones, every non-browser client; nothing else."""

from __future__ import annotations

from noc_actors.settings import DEFAULT_WS_ORIGINS
from serve_app.ws.origin import origin_allowed


def test_clients_without_an_origin_are_allowed() -> None:
    assert origin_allowed(None, "noc:8000", ())
    assert origin_allowed("", "noc:8000", ())


def test_the_apps_own_origin_is_allowed() -> None:
    assert origin_allowed("http://noc.example.com:8000", "noc.example.com:8000", ())
    assert origin_allowed("https://noc.example.com", "noc.example.com", ())
    assert origin_allowed("https://NOC.example.com", "noc.example.com:443", ())
    assert not origin_allowed("http://noc.example.com:9000", "noc.example.com:8000", ())
    assert not origin_allowed("https://evil.example", "noc.example.com", ())


def test_localhost_on_any_port_is_allowed_by_default() -> None:
    for origin in ("http://localhost:3000", "http://127.0.0.1:5173", "http://[::1]:8080"):
        assert origin_allowed(origin, "noc:8000", DEFAULT_WS_ORIGINS)
    assert origin_allowed("http://localhost", "noc:8000", DEFAULT_WS_ORIGINS)
    assert not origin_allowed("http://localhost.evil.example", "noc:8000", DEFAULT_WS_ORIGINS)
    assert not origin_allowed("http://evil.example:3000", "noc:8000", DEFAULT_WS_ORIGINS)


def test_exact_origins_and_the_wildcard() -> None:
    allowed = ("https://ops.example.com",)
    assert origin_allowed("https://ops.example.com", "noc", allowed)
    assert origin_allowed("https://ops.example.com:443", "noc", allowed)
    assert not origin_allowed("http://ops.example.com", "noc", allowed)
    assert not origin_allowed("https://ops.example.com:8443", "noc", allowed)
    assert origin_allowed("https://anything.example", "noc", ("*",))


def test_opaque_and_garbage_origins_are_refused_unless_listed() -> None:
    assert not origin_allowed("null", "noc", DEFAULT_WS_ORIGINS)
    assert origin_allowed("null", "noc", ("null",))
    assert not origin_allowed("javascript:alert(1)", "noc", DEFAULT_WS_ORIGINS)
    assert not origin_allowed("http://[bad", "noc", DEFAULT_WS_ORIGINS)
