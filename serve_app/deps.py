"""FastAPI dependencies as type aliases (the full-stack template's style)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from noc_actors.domain.enums import Capability
from serve_app.auth import authenticate, require
from serve_app.caller import Caller
from serve_app.context import AppContext, context_of


async def get_context(request: Request) -> AppContext:
    return context_of(request)


Ctx = Annotated[AppContext, Depends(get_context)]


async def get_caller(request: Request, ctx: Ctx) -> Caller:
    """The caller: as ``BodyGuard`` authenticated it before the body was
    read, or (a request without a body) now."""
    known: Caller | None = getattr(request.state, "caller", None)
    return known if known is not None else await authenticate(ctx, request)


CurrentCaller = Annotated[Caller, Depends(get_caller)]


def requires(capability: Capability) -> Callable[..., Awaitable[Caller]]:
    """Dependency: the caller, after checking ``capability`` (403 + audit)."""

    async def check(ctx: Ctx, caller: CurrentCaller) -> Caller:
        await require(ctx, caller, capability)
        return caller

    return check


Viewer = Annotated[Caller, Depends(requires(Capability.VIEW))]
Ingester = Annotated[Caller, Depends(requires(Capability.INGEST))]
"""An integration key or user holding ``noc:ingest``."""
