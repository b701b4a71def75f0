"""``GET /api/noc/health`` (200 healthy, 503 naming what is not) and
``GET /metrics`` (Prometheus text): database, actors, hub, timer lag,
backpressure, queue depths and periodic jobs (``serve_app.health``).
Unauthenticated (load balancers and Prometheus probe them); they reveal
counts, never data."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse

from serve_app.deps import Ctx
from serve_app.health import gather_health
from serve_app.metrics_text import prometheus_text

router = APIRouter(tags=["health"])


@router.get("/api/noc/health", summary="Health of every component (200 healthy, 503 degraded)")
async def health(ctx: Ctx) -> JSONResponse:
    body = await gather_health(ctx)
    return JSONResponse(body, status_code=503 if body["failing"] else 200)


@router.get("/metrics", summary="Prometheus metrics of the NOC (text format)")
async def metrics(ctx: Ctx) -> PlainTextResponse:
    body = await gather_health(ctx)
    return PlainTextResponse(prometheus_text(body), media_type="text/plain; version=0.0.4")
