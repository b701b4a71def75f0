"""What every request handler needs, built once per Serve replica (in the
deployment's constructor, never at import time) and kept on ``app.state``."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import HTTPConnection

from noc_actors.actors.client import NocClient
from noc_actors.actors.loops import PeriodicLoop
from noc_actors.settings import Settings
from noc_actors.store.db import make_engine
from serve_app.cache import Cache, make_cache
from serve_app.ingest.gate import IngestGate

if TYPE_CHECKING:
    from serve_app.ws.realtime import Realtime


@dataclass
class AppContext:
    settings: Settings
    engine: AsyncEngine
    noc: NocClient
    cache: Cache
    gate: IngestGate
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _started: bool = False
    warm_loop: PeriodicLoop | None = None
    realtime: Realtime | None = None

    @classmethod
    def build(cls, settings: Settings) -> AppContext:
        return cls(
            settings=settings,
            engine=make_engine(settings.database_url),
            noc=NocClient(settings.ray_namespace),
            cache=make_cache(settings.redis_url),
            gate=IngestGate(settings.ingest_queue_size),
        )

    def start_background(self) -> None:
        """Start the replica's background work once, inside its event loop:
        cache warming every 5 minutes, the ingest gate's reports, and the
        replica's one hub subscription (``serve_app.ws.realtime``), which
        invalidates the in-process cache (without Redis) and feeds the
        dashboard sockets."""
        if self._started:
            return
        self._started = True
        from serve_app.warming import warm_overviews

        self.warm_loop = PeriodicLoop(
            "cache-warm", self.settings.cache_warm_interval_s, lambda: warm_overviews(self)
        )
        self.warm_loop.start()
        self._spawn(self.gate.run(self.noc), "ingest-gate-report")
        from serve_app.ws.realtime import Realtime

        self.realtime = Realtime.build(self.settings, self.noc, self.cache)
        self._spawn(self.realtime.pump.run(), "hub-pump")

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self.warm_loop is not None:
            await self.warm_loop.stop()
        await self.engine.dispose()


def context_of(conn: HTTPConnection) -> AppContext:
    """The replica's context: the Serve deployment instance holds it (Serve
    runs a copy of the FastAPI app, so ``app.state`` set in the deployment's
    constructor is not the one requests see); a plain ASGI run (tests, tools)
    may set ``app.state.ctx`` instead."""
    ctx: AppContext | None = getattr(conn.app.state, "ctx", None)
    if ctx is None:
        from ray import serve

        ctx = getattr(serve.get_replica_context().servable_object, "ctx", None)
    if ctx is None:
        raise RuntimeError("the NOC app has no context: build it with AppContext.build()")
    ctx.start_background()
    return ctx
