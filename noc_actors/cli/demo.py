"""``noc demo``: the whole NOC on one laptop, kept busy by a simulated
facility-management platform.

It migrates the database (the embedded SQLite file by default), seeds a
``demo`` tenant from the demo world (clients, sites with geofences, people),
starts a local Ray instance, the actor system and the REST API, and posts the
simulator's events through the public ingest API with an integration key
every couple of seconds (straight to the actors with ``--port 0``). New alerts, escalations
and backpressure changes are printed as they happen. Ctrl-C stops everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from noc_actors.cli.common import served_on
from noc_actors.demo.feed import ActorFeed, Feed, HttpFeed, ResendingFeed
from noc_actors.settings import Settings

DEMO_TENANT = "demo"
STEP_S = 2.0
CLOCK_RULES_S = 5.0
"""The demo's clock-rule interval (the product's default is 30 s): the
simulator's first-minute show has SLAs and work orders fall due seconds
apart. ``NOC_CLOCK_RULES_INTERVAL_S`` still wins."""


async def seed_demo(url: str) -> tuple[str, str, str]:
    """Create the demo tenant, its clients, sites and an admin (idempotent);
    returns the tenant id, a fresh 24-hour admin token and a fresh 24-hour
    integration key for the simulated platform."""
    from noc_actors.demo.world import demo_world
    from noc_actors.store.db import make_engine
    from noc_actors.store.repos import clients, tenants, tokens, users

    world = demo_world()
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            tenant = await tenants.get_tenant_by_name(conn, name=DEMO_TENANT)
            if tenant is None:
                tenant = await tenants.create_tenant(conn, name=DEMO_TENANT)
            tid = tenant["id"]
            known = {c["id"] for c in await clients.list_clients(conn, tenant_id=tid)}
            for c in world.clients:
                if c.id in known:
                    continue
                await clients.create_client(conn, tenant_id=tid, name=c.name, client_id=c.id)
                for s in c.sites:
                    await clients.create_site(
                        conn,
                        tenant_id=tid,
                        client_id=c.id,
                        name=s.name,
                        site_id=s.id,
                        lat=s.lat,
                        lon=s.lon,
                        geofence_radius_m=s.radius_m,
                    )
            if (
                await users.get_user_by_email(conn, tenant_id=tid, email="admin@demo.example")
                is None
            ):
                await users.create_user(
                    conn,
                    tenant_id=tid,
                    display_name="Demo Admin",
                    email="admin@demo.example",
                    is_admin=True,
                    capabilities={},
                )
            admin = await users.get_user_by_email(conn, tenant_id=tid, email="admin@demo.example")
            assert admin is not None
            token, _ = await tokens.issue_token(
                conn,
                tenant_id=tid,
                name="noc demo",
                now=datetime.now(UTC),
                user_id=admin["id"],
                expires_at=datetime.now(UTC) + timedelta(days=1),
            )
            key, _ = await tokens.issue_token(
                conn,
                tenant_id=tid,
                name="demo platform",
                now=datetime.now(UTC),
                kind="integration",
                capabilities=["noc:ingest"],
                expires_at=datetime.now(UTC) + timedelta(days=1),
            )
            return str(tid), token, key
    finally:
        await engine.dispose()


def describe(event: dict[str, Any]) -> str | None:
    """One line for the events worth printing, None for the rest."""
    kind = event.get("type")
    if kind == "backpressure":
        return f"BACKPRESSURE {event['tenant_id'][:8]} {event['previous']} -> {event['level']}"
    if kind not in ("alert_new", "alert_updated"):
        return None
    a = event["alert"]
    action = event.get("action")
    if kind == "alert_updated" and action not in ("escalated", "resolved"):
        return None
    what = "NEW" if kind == "alert_new" else str(action).upper()
    extra = f" -> {a['escalated_to']}" if action == "escalated" else ""
    return (
        f"{what:<9} {a['severity']:<8} {a['alert_type']:<20} {a['client_id']:<24} "
        f"{a['message'][:48]}{extra}"
    )


class DemoRunner:
    """Feeds the simulator into the NOC and prints what happens."""

    def __init__(
        self, client: Any, feed: Feed, tenant_id: str, seed: int, speed: float, quiet: bool
    ) -> None:
        from noc_actors.demo.simulator import FacilitySimulator
        from noc_actors.demo.world import demo_world

        self.client = client
        self.feed_ = ResendingFeed(feed)
        self.tenant_id = tenant_id
        self.sim = FacilitySimulator(demo_world(), seed=seed, speed=speed)
        self.quiet = quiet
        self.totals: Counter[str] = Counter()
        self.errors = 0

    async def step(self) -> None:
        now = datetime.now(UTC)
        sent = await asyncio.gather(
            self.feed_.events(self.sim.step(now)),
            self.feed_.alerts(self.sim.generic_alerts(now)),
            return_exceptions=True,
        )
        for report in sent:
            if isinstance(report, BaseException):
                self.errors += 1
                kept = self.feed_.pending()
                lost = f", {self.feed_.dropped} oldest dropped" if self.feed_.dropped else ""
                typer.secho(
                    f"ingest failed, {kept} items kept for the next step{lost}: {report}",
                    err=True,
                    fg=typer.colors.YELLOW,
                )
                continue
            for key in ("folded", "suppressed"):
                self.totals[key] += report[key]

    async def feed(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            began = time.monotonic()
            await self.step()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, STEP_S - (time.monotonic() - began)))

    async def watch(self) -> None:
        async for batch in self.client.subscribe("noc-demo-cli"):
            for event in batch:
                self.count(event)
                line = describe(event)
                if line and not self.quiet:
                    typer.echo(f"{datetime.now().strftime('%H:%M:%S')}  {line}")

    def count(self, event: dict[str, Any]) -> None:
        """Totals from the event stream: it also carries what the actors'
        clock rules raise, which no ingest call reports."""
        if event.get("type") == "alert_new":
            self.totals["new"] += 1
        elif event.get("type") == "alert_updated" and event.get("action") in (
            "escalated",
            "resolved",
        ):
            self.totals[event["action"]] += 1

    def summary(self) -> str:
        t = self.totals
        return (
            f"alerts new {t['new']}, escalated {t['escalated']}, resolved {t['resolved']}, "
            f"repeats folded {t['folded']}, suppressed {t['suppressed']}"
        )

    async def report(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 15)
            typer.secho(f"-- {self.summary()}", fg=typer.colors.CYAN)


async def run_demo(
    client: Any,
    feed: Feed,
    tenant_id: str,
    seed: int,
    speed: float,
    duration: float | None,
    quiet: bool,
) -> DemoRunner:
    runner = DemoRunner(client, feed, tenant_id, seed, speed, quiet)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if duration is not None:
        loop.call_later(duration, stop.set)
    watcher = asyncio.create_task(runner.watch())
    reporter = asyncio.create_task(runner.report(stop))
    try:
        await runner.feed(stop)
    finally:
        watcher.cancel()
        reporter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(watcher, reporter)
        await feed.close()
    return runner


def demo(
    seed: Annotated[int, typer.Option(help="Simulator seed (same seed, same story).")] = 7,
    speed: Annotated[float, typer.Option(help="Simulated activity rate, 1 = realistic.")] = 1.0,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: until Ctrl-C).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print totals only.")] = False,
    dashboard: Annotated[
        bool, typer.Option(help="Also start Ray's own dashboard (port 8265).")
    ] = False,
    port: Annotated[
        int,
        typer.Option(
            help="Port of the REST API and dashboard (the simulator posts through it); "
            "0 = no API, the simulator feeds the actors directly."
        ),
    ] = 8000,
) -> None:
    """Run the NOC locally — actors, REST API and dashboard — with a simulated
    facility platform posting to its ingest API."""
    import ray

    from noc_actors.actors.client import start_system, stop_system
    from noc_actors.store.db import redact_url, upgrade

    if speed <= 0:
        from noc_actors.cli.common import fail

        fail("--speed must be positive", code=2)
    settings = served_on(Settings(), port)
    if "NOC_CLOCK_RULES_INTERVAL_S" not in os.environ:
        settings = settings.model_copy(update={"clock_rules_interval_s": CLOCK_RULES_S})
    typer.echo(f"==> database {redact_url(settings.database_url)}")
    upgrade(settings.database_url)
    tenant_id, token, key = asyncio.run(seed_demo(settings.database_url))
    typer.echo("==> starting a local Ray instance and the NOC actors")
    ray.init(
        address="local",
        namespace=settings.ray_namespace,
        include_dashboard=dashboard,
        log_to_driver=False,
        configure_logging=False,
    )
    try:
        began = time.perf_counter()
        client = start_system(settings)
        feed: Feed = ActorFeed(client, tenant_id)
        via = "straight to the actors"
        if port:
            from noc_actors.cli.system import deploy_api

            deploy_api(settings, port)
            typer.echo(
                f"==> dashboard: http://127.0.0.1:{port}/#token={token} "
                f"(or open http://127.0.0.1:{port}/ and paste the token)"
            )
            typer.echo(f"==> sign in with the demo admin token (valid 24 h): {token}")
            feed = HttpFeed(f"http://127.0.0.1:{port}", key)
            via = "through the ingest API"
        typer.echo(
            f"==> NOC is up in {time.perf_counter() - began:.1f}s; tenant 'demo' "
            f"({tenant_id}); feeding simulated events {via} every {STEP_S:.0f}s — Ctrl-C stops"
        )
        runner = asyncio.run(run_demo(client, feed, tenant_id, seed, speed, duration, quiet))
        typer.echo(f"==> stopping: {runner.summary()}")
    finally:
        stop_system(settings.ray_namespace)
        ray.shutdown()
    typer.echo("==> stopped")
