"""The environment of the NOC's Ray clusters: HAProxy ingress by default, an
explicit setting wins, and HAProxy's fixed listener ports move aside when
taken (HAProxy would not start, and with it no request would be served)."""

from __future__ import annotations

import socket

import pytest

from noc_actors import ray_env


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*ray_env.DEFAULTS, *ray_env.PORTS):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_ha_proxy_is_the_default_and_an_explicit_setting_wins(
    clean_env: pytest.MonkeyPatch,
) -> None:
    assert ray_env.apply()["RAY_SERVE_ENABLE_HA_PROXY"] == "1" and ray_env.ha_proxy()
    clean_env.setenv("RAY_SERVE_ENABLE_HA_PROXY", "0")
    assert ray_env.apply()["RAY_SERVE_ENABLE_HA_PROXY"] == "0" and not ray_env.ha_proxy()


def test_a_taken_haproxy_port_is_replaced_by_a_free_one(clean_env: pytest.MonkeyPatch) -> None:
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 0)
        holder.bind(("0.0.0.0", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        clean_env.setattr(ray_env, "PORTS", {"RAY_SERVE_HAPROXY_STATS_PORT": taken})
        port = int(ray_env.apply()["RAY_SERVE_HAPROXY_STATS_PORT"])
        assert port != taken
        with socket.socket() as probe:
            probe.bind(("0.0.0.0", port))  # free when chosen
