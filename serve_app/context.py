"""What every request handler needs, built once per Serve replica (in the
deployment's constructor, never at import time) and found by handlers
through ``context_of``.

The replica's background work (cache warming, the ingest gate's reports,
the hub pump) is registered by whoever builds the context
(``serve_app.deployment``) and started once, inside the replica's event loop,
by the first request or socket."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import HTTPConnection

from noc_actors.actors.client import NocClient
from noc_actors.settings import Settings
from noc_actors.store.db import make_engine
from serve_app.access_cache import AccessCache
from serve_app.auth import EpochSource, deny
from serve_app.cache import Cache, make_cache
from serve_app.caller import Caller
from serve_app.ingest.gate import IngestGate
from serve_app.ingest.pipeline import IngestPipeline
from serve_app.recent import Recent
from serve_app.ws.realtime import Realtime

Job = Callable[["AppContext"], Coroutine[Any, Any, None]]
"""A background job of the replica: runs until cancelled (and must not die)."""


LIVENESS_TTL_S = 2.0


@dataclass
class AppContext:
    settings: Settings
    engine: AsyncEngine
    noc: NocClient
    cache: Cache
    gate: IngestGate
    realtime: Realtime
    ingest: IngestPipeline
    epochs: EpochSource
    access: AccessCache = field(default_factory=AccessCache)
    liveness: Recent[Any] = field(default_factory=lambda: Recent(LIVENESS_TTL_S))
    """The public health answer, computed at most every ``LIVENESS_TTL_S``."""
    jobs: dict[str, Job] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _started: bool = False

    @classmethod
    def build(cls, settings: Settings) -> AppContext:
        engine = make_engine(settings.database_url)
        noc = NocClient(settings.ray_namespace, settings.route_ttl_s)
        cache = make_cache(settings.redis_url)
        gate = IngestGate(settings.ingest_queue_size)

        async def denial(caller: Caller, capability: str, kind: str, entity_id: str) -> Exception:
            return await deny(ctx, caller, capability, kind, entity_id)

        ctx = cls(
            settings=settings,
            engine=engine,
            noc=noc,
            cache=cache,
            gate=gate,
            realtime=Realtime.build(settings, noc, cache),
            ingest=IngestPipeline(gate, noc, denial),
            epochs=EpochSource(settings.database_url),
        )
        return ctx

    def register(self, name: str, job: Job) -> None:
        """Run ``job(self)`` in the background once the replica serves."""
        self.jobs[name] = job

    def start_background(self) -> None:
        """Start the registered jobs once, inside the running event loop."""
        if self._started:
            return
        self._started = True
        loop = asyncio.get_running_loop()
        for name, job in self.jobs.items():
            task = loop.create_task(job(self), name=name)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.epochs.close()
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
