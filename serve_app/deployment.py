"""The Ray Serve deployment: FastAPI ingress, replicas that reserve no whole
CPU and hold many concurrent requests — each dashboard WebSocket is one for
as long as it is open, hence ``max_ongoing_requests=1000`` and no request
timeout (it would cut sockets).

``build(settings)`` returns the Serve application; ``serve run`` and
``serve deploy`` use ``serve_app.deployment:app`` (settings from ``NOC_*``)."""

from __future__ import annotations

from typing import Any

from ray import serve

from noc_actors.actors.process import tune_gc
from noc_actors.logs import install_redaction
from noc_actors.runtime.loops import PeriodicLoop
from noc_actors.settings import Settings
from serve_app.app import create_app
from serve_app.auth import flush_used
from serve_app.context import AppContext
from serve_app.warming import warm_overviews

fastapi_app = create_app()
TOKEN_USE_FLUSH_S = 30.0


@serve.deployment(
    name="NocApi",
    ray_actor_options={"num_cpus": 0},
    max_ongoing_requests=1000,
    health_check_period_s=10,
)
@serve.ingress(fastapi_app)
class NocApi:
    """One replica: its own engine, its own client of the actor system."""

    def __init__(self, settings: Settings) -> None:
        install_redaction()
        tune_gc()
        self.ctx = AppContext.build(settings)  # found by serve_app.context.context_of
        register_jobs(self.ctx)


def register_jobs(ctx: AppContext) -> None:
    """The replica's background work, started with its first request: cache
    warming every ``cache_warm_interval_s``, the tokens' ``last_used_at``
    written every ``TOKEN_USE_FLUSH_S``, the ingest gate's depth reports
    (which bring the backpressure levels back), and the replica's one hub
    subscription, which invalidates the in-process cache (without Redis) and
    feeds the dashboard sockets."""
    warm = PeriodicLoop(
        "cache-warm", ctx.settings.cache_warm_interval_s, lambda: warm_overviews(ctx)
    )
    ctx.register("cache-warm", lambda _: warm.run())
    used = PeriodicLoop("token-use", TOKEN_USE_FLUSH_S, lambda: flush_used(ctx))
    ctx.register("token-use", lambda _: used.run())
    ctx.register("ingest-gate-report", lambda c: c.gate.run(c.noc))
    ctx.register("hub-pump", lambda c: c.realtime.pump.run())


def build(settings: Settings, replicas: int | None = 1) -> Any:
    """The app; ``replicas`` None leaves the count to the Serve config (its
    ``autoscaling_config``, config/serve.yaml), else that many replicas."""
    deployment: Any = NocApi
    if replicas is not None:
        deployment = deployment.options(num_replicas=replicas)
    return deployment.bind(settings)


def app_builder(args: dict[str, Any]) -> Any:
    """Entry for ``serve run serve_app.deployment:app_builder``: settings
    come from the environment (NOC_*); ``replicas`` in the args fixes the
    count, else the config's ``autoscaling_config`` (or one) decides."""
    replicas = args.get("replicas")
    return build(Settings(), None if replicas is None else int(replicas))
