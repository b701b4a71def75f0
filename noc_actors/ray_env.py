"""The environment local Ray clusters of the NOC start with.

Ray's processes read these when they start (the Serve controller decides its
proxy from its own environment), so they are set before ``ray start`` /
``ray.init`` — by ``noc up`` and ``noc demo``, the benchmarks and the tests.
A value already in the environment wins: ``RAY_SERVE_ENABLE_HA_PROXY=0``
brings back Serve's default (Python) proxy.

- ``RAY_SERVE_ENABLE_HA_PROXY=1``: HAProxy (bundled with ``ray[serve]``) in
  front of replicas that serve HTTP and WebSockets themselves. Measured here
  (docs/benchmarks.md): a trivial endpoint at about 2x the requests/s of the
  default proxy, and socket pushes no longer relayed through Ray calls.
- ``RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S=5``: how long a stopping
  replica keeps answering while HAProxy takes it out (Ray's default, 30 s,
  is meant for external load balancers; here it made every redeploy and
  ``noc down`` wait half a minute). Dashboards reconnect and resume, ingest
  clients retry on 503.
- ``RAY_SERVE_HAPROXY_STATS_PORT`` / ``RAY_SERVE_HAPROXY_METRICS_PORT``:
  HAProxy's stats and metrics listeners, 8404 and 9101 unless taken (a second
  NOC on the machine, the test suite's own cluster): then free ports, since
  HAProxy refuses to start when it cannot bind them.
"""

from __future__ import annotations

import os
import socket

DEFAULTS = {
    "RAY_SERVE_ENABLE_HA_PROXY": "1",
    "RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S": "5",
}
PORTS = {
    "RAY_SERVE_HAPROXY_STATS_PORT": 8404,
    "RAY_SERVE_HAPROXY_METRICS_PORT": 9101,
}


def apply() -> dict[str, str]:
    """Set each default that the environment does not set; returns the values in force."""
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
    for name, port in PORTS.items():
        if name not in os.environ:
            os.environ[name] = str(port if _free(port) else _any_free_port())
    return {name: os.environ[name] for name in (*DEFAULTS, *PORTS)}


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def _any_free_port() -> int:
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        return int(s.getsockname()[1])


def ha_proxy() -> bool:
    """True when Serve runs with the HAProxy ingress (per this process's environment)."""
    return os.environ.get("RAY_SERVE_ENABLE_HA_PROXY", "0") == "1"
