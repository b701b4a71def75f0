"""The FastAPI application: routers, error handlers, middleware.

``create_app()`` builds no engine and reads no settings: the deployment
(or a test) attaches an ``AppContext`` to ``app.state.ctx``."""

from __future__ import annotations

from fastapi import FastAPI

from noc_actors import __version__
from serve_app import openapi_doc
from serve_app.body_guard import BodyGuard
from serve_app.http_errors import ERROR_RESPONSES, install_error_handlers
from serve_app.middleware import CorrelationIdMiddleware, RequestDeadline
from serve_app.routes import (
    admin,
    alert_timeline,
    alert_types,
    alertmanager,
    alerts,
    assignees,
    audit,
    dashboard,
    exports,
    health,
    incidents,
    ingest,
    inhibit_rules,
    maintenance,
    notifications,
    oncall,
    overview,
    pagerduty,
    placement,
    policies,
    reports,
    sites,
    snapshots,
)
from serve_app.ws import endpoint as ws_endpoint


def create_app() -> FastAPI:
    app = FastAPI(
        title="NOC",
        version=__version__,
        description="Real-time operations center: alerts, incidents, escalation, audit.",
        docs_url="/docs",
        openapi_url="/openapi.json",
        responses=ERROR_RESPONSES,
    )
    app.add_middleware(BodyGuard)  # inside the correlation id: its answers carry one
    app.add_middleware(RequestDeadline)  # bounds authentication and body reading too
    app.add_middleware(CorrelationIdMiddleware)
    install_error_handlers(app)
    for module in (
        health,
        alerts,
        alert_timeline,
        overview,
        alert_types,
        assignees,
        incidents,
        maintenance,
        snapshots,
        sites,
        reports,
        exports,
        audit,
        policies,
        inhibit_rules,
        placement,
        notifications,
        oncall,
        admin,
        ingest,
        alertmanager,
        pagerduty,
        ws_endpoint,
        dashboard,
    ):
        app.include_router(module.router)
    openapi_doc.install(app)
    return app
