"""System commands: start, inspect and stop the actor system on Ray."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from noc_actors import ray_env
from noc_actors.cli.common import fail, served_on
from noc_actors.settings import Settings

if TYPE_CHECKING:
    from noc_actors.actors.status import ChildView, SupervisorHealth

RAY_PORT = 6380  # Redis owns 6379 on the machines this runs on.

# `ray start` (Ray 2.60) turns on token authentication and keeps the token in
# ~/.ray/auth_token; a client must be told to present it, before Ray is
# imported. RAY_AUTH_MODE=disabled in the environment opts out.
os.environ.setdefault("RAY_AUTH_MODE", "token")
# Serve's HAProxy ingress and a short replica drain (noc_actors.ray_env), for
# the Ray processes `noc up` and `noc demo` start.
ray_env.apply()


def _ray_bin() -> str:
    candidate = Path(sys.executable).parent / "ray"
    return str(candidate) if candidate.exists() else "ray"


def connect(
    address: str | None = None,
    *,
    start_local: bool = False,
    port: int = RAY_PORT,
    dashboard: bool = True,
) -> str:
    """Connect to ``address`` / ``RAY_ADDRESS`` / a local head on ``port``,
    starting that head first when asked. Returns the address used."""
    import ray

    address = address or os.environ.get("RAY_ADDRESS")
    if address is None:
        address = f"127.0.0.1:{port}"
        if start_local and not head_running(address):
            typer.echo(f"==> starting a local Ray head on port {port}")
            include = "true" if dashboard else "false"
            cmd = [
                _ray_bin(),
                "start",
                "--head",
                f"--port={port}",
                "--disable-usage-stats",
                f"--include-dashboard={include}",
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                fail(f"ray start failed:\n{proc.stderr.strip() or proc.stdout.strip()}")
    if "://" not in address and not head_running(address):
        fail(f"no Ray cluster answers at {address}; start one with: noc up")
    try:
        ray.init(address=address, namespace="noc", log_to_driver=False, configure_logging=False)
    except ConnectionError as err:
        fail(f"no Ray cluster at {address} ({err}); start one with: noc up")
    return address


def open_client_if_running(client_id: str, address: str | None = None) -> str:
    """Ask a running NOC to start a new or re-enabled client's aggregator now,
    so that client's first alert does not wait for a process to start (the
    supervisor would also find it on its next watch tick). Says what happened;
    never fails: without a running NOC, ``noc up`` starts it."""
    from noc_actors.actors.client import NocClient
    from noc_actors.domain.errors import DomainError

    address = address or os.environ.get("RAY_ADDRESS") or f"127.0.0.1:{RAY_PORT}"
    if "://" not in address and not head_running(address, timeout_s=0.5):
        return "aggregator: the NOC is not running here (noc up starts it)"
    import ray

    try:
        if not ray.is_initialized():
            ray.init(address=address, namespace="noc", log_to_driver=False, configure_logging=False)
        seconds = asyncio.run(NocClient(Settings().ray_namespace).open_client(client_id))
    except (ConnectionError, DomainError) as err:
        return f"aggregator: not started now ({err}); the NOC starts it on its next watch tick"
    return f"aggregator: running ({seconds:.1f}s)"


def head_running(address: str, timeout_s: float = 2.0) -> bool:
    """True when something listens on the head's GCS port (``ray.init`` would
    otherwise retry for minutes)."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s):
            return True
    except (OSError, ValueError):
        return False


def up(
    address: Annotated[
        str | None,
        typer.Option(help="Ray address to join (default: RAY_ADDRESS, else a local head on 6380)."),
    ] = None,
    dashboard: Annotated[
        bool, typer.Option(help="Start the Ray dashboard with a new head.")
    ] = True,
    serve_port: Annotated[
        int, typer.Option(help="Port of the REST API (Ray Serve); 0 = do not deploy it.")
    ] = 8000,
) -> None:
    """Start the NOC actors and the REST API (and a local Ray head if none
    runs). Idempotent."""
    from noc_actors.actors.client import start_system
    from noc_actors.store.db import redact_url, upgrade

    settings = served_on(Settings(), serve_port)
    upgrade(settings.database_url)
    used = connect(address, start_local=True, dashboard=dashboard)
    began = time.perf_counter()
    client = start_system(settings)
    if serve_port:
        deploy_api(settings, serve_port)
    health = asyncio.run(client.health())
    hosts = [a for a in health["actors"] if a["kind"] in ("pool", "aggregator")]
    typer.echo(
        f"NOC is up on Ray {used} (namespace {settings.ray_namespace}): "
        f"{len(health['actors'])} actors, {sum(len(a['clients']) for a in hosts)} clients "
        f"in {len(hosts)} hosts, "
        f"{time.perf_counter() - began:.1f}s; database {redact_url(settings.database_url)}"
    )


def deploy_api(settings: Settings, port: int, host: str = "127.0.0.1") -> str:
    """Deploy the Serve app (FastAPI) on ``host:port``; returns its URL."""
    from ray import serve

    from serve_app.deployment import build

    serve.start(http_options={"host": host, "port": port})
    serve.run(build(settings), name="noc", route_prefix="/")
    url = f"http://{host}:{port}"
    typer.echo(f"==> REST API at {url}/api/noc/ (OpenAPI at {url}/docs), dashboard at {url}/")
    return url


def down(
    address: Annotated[str | None, typer.Option(help="Ray address.")] = None,
    stop_ray: Annotated[
        bool, typer.Option("--stop-ray", help="Also stop the local Ray head.")
    ] = False,
) -> None:
    """Stop every NOC actor (state stays in the database)."""
    from noc_actors.actors.client import stop_system

    settings = Settings()
    connect(address)
    n = stop_system(settings.ray_namespace)
    typer.echo(f"stopped {n} actors" if n else "the NOC was not running")
    if stop_ray:
        import ray

        ray.shutdown()
        subprocess.run([_ray_bin(), "stop"], capture_output=True)
        typer.echo("stopped the local Ray head")


def _age(ts: float | None) -> str:
    if ts is None:
        return "-"
    return f"{time.time() - ts:.0f}s ago"


def _clients(actor: ChildView) -> str:
    """The CLIENT column: a dedicated host's client, a pool's count."""
    if actor.get("client_id"):
        return str(actor["client_id"])
    n = len(actor.get("clients") or [])
    return f"{n} clients" if actor["kind"] == "pool" else "-"


def render_status(health: SupervisorHealth) -> list[str]:
    rows = [("ACTOR", "STATE", "RESTARTS", "CLIENT", "OPEN", "LAST OK")]
    sup = health.get("supervisor", {})
    rows.append(("noc:supervisor", "ALIVE", "1" if sup.get("restarted") else "0", "-", "-", "now"))
    for a in health["actors"]:
        d = a.get("details") or {}
        rows.append(
            (
                a["name"],
                a["state"],
                str(a["restarts"]),
                _clients(a),
                str(d.get("open_alerts", "-")),
                _age(a.get("last_ok")),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    for job in health["jobs"]:
        if job["late"]:
            success = _age(job["last_success"]) if job["last_success"] else "never"
            lines.append(
                f"late job {job['name']}: last success {success}, "
                f"{job['failures']} failures, last error: {job['last_error'] or '-'}"
            )
    return lines


def status(
    address: Annotated[str | None, typer.Option(help="Ray address.")] = None,
    load: Annotated[
        bool,
        typer.Option(
            "--load",
            help="Each running client's load instead, busiest first, with a suggestion "
            "(dedicate / pool; threshold NOC_DEDICATE_ITEMS_PER_MIN).",
        ),
    ] = False,
) -> None:
    """Show each actor: state, restarts and, for client hosts (pools and
    dedicated aggregators), their clients and open alerts."""
    from noc_actors.actors.client import NocClient
    from noc_actors.domain.errors import Unavailable

    settings = Settings()
    connect(address)
    noc = NocClient(settings.ray_namespace)
    try:
        if load:
            for line in render_load(asyncio.run(noc.load())):
                typer.echo(line)
            return
        health = asyncio.run(noc.health())
    except Unavailable as err:
        fail(f"{err} (start it with: noc up)")
    for line in render_status(health):
        typer.echo(line)
    if not health["ok"]:
        raise typer.Exit(1)


LOAD_COLUMNS = (
    ("client", "client_id", "{}"),
    ("placement", "placement", "{}"),
    ("host", "host", "{}"),
    ("items/min", "items_per_min", "{:.1f}"),
    ("open", "open_alerts", "{}"),
    ("cpu s", "cpu_s", "{:.3f}"),
    ("p99 ms", "p99_batch_ms", "{:.1f}"),
    ("suggestion", "suggestion", "{}"),
)


def render_load(rows: list[dict[str, Any]]) -> list[str]:
    """``noc status --load``: one aligned line per client."""
    cells = [
        [("-" if r.get(key) is None else fmt.format(r[key])) for _, key, fmt in LOAD_COLUMNS]
        for r in rows
    ]
    heads = [head for head, _, _ in LOAD_COLUMNS]
    widths = [max(len(c) for c in col) for col in zip(heads, *cells, strict=False)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [heads, *cells]
    ]
    return lines if rows else [*lines, "(no client is running)"]


def rebalance(
    apply: Annotated[
        bool, typer.Option("--apply", help="Move the clients (else only show the moves).")
    ] = False,
    address: Annotated[str | None, typer.Option(help="Ray address.")] = None,
) -> None:
    """Move clients per `noc status --load`'s suggestions: a busy pooled
    client to a host of its own, a quiet dedicated one back into a pool.
    Without --apply, prints what it would do."""
    from noc_actors.actors.client import NocClient
    from noc_actors.domain.errors import DomainError

    settings = Settings()
    connect(address)
    noc = NocClient(settings.ray_namespace)
    try:
        rows = [r for r in asyncio.run(noc.load()) if r["suggestion"]]
    except DomainError as err:
        fail(f"{err} (start it with: noc up)")
    if not rows:
        typer.echo("nothing to move")
        return
    for row in rows:
        target = "dedicated" if row["suggestion"] == "dedicate" else "pooled"
        line = (
            f"{row['client_id']}: {row['placement']} -> {target} "
            f"({row['items_per_min']:.1f} items/min)"
        )
        if not apply:
            typer.echo(f"would move {line}")
            continue
        try:
            moved = asyncio.run(noc.place(row["tenant_id"], row["client_id"], target))
        except DomainError as err:
            typer.echo(f"not moved {line}: {err}", err=True)
            continue
        typer.echo(f"moved {line} in {moved.get('paused_s', 0.0):.2f}s")
    if not apply:
        typer.echo("(run with --apply to move them)")
