"""The OpenAPI document's finishing touches, applied once when it is built
(``install``): links between operations, and no ``null`` for parameters.

Links say which operation's answer yields the id another operation
needs (the alert a POST created, then acknowledged; the user created, then
patched). A client generator or a fuzzer (schemathesis' stateful phase)
follows them instead of guessing ids.

The table names operations by method and path; ``add_links`` resolves them
to operation ids when the document is built and refuses a link to an
operation that does not exist (so a renamed route cannot leave a dangling
link)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from noc_actors.domain.schema_rules import non_null

__all__ = ["LINKS", "Link", "add_links", "install", "no_null_parameters"]


@dataclass(frozen=True, slots=True)
class Link:
    source: str  # "POST /api/noc/users"
    status: str  # the source's answer that carries the id
    target: str  # "GET /api/noc/users/{user_id}"
    parameters: dict[str, str]  # target parameter -> runtime expression

    @property
    def name(self) -> str:
        method, path = self.target.split(" ", 1)
        words = [p for p in path.split("/") if p and not p.startswith("{")][2:]
        return "".join(w.capitalize() for w in (method.lower(), *words)).replace("-", "")


def _each(source: str, status: str, param: str, expr: str, *targets: str) -> list[Link]:
    return [Link(source, status, t, {param: expr}) for t in targets]


_ALERT_OPS = (
    "GET /api/noc/alerts/{alert_id}",
    "GET /api/noc/alerts/{alert_id}/timeline",
    "POST /api/noc/alerts/{alert_id}/acknowledge",
    "POST /api/noc/alerts/{alert_id}/assign",
    "POST /api/noc/alerts/{alert_id}/escalate",
    "POST /api/noc/alerts/{alert_id}/resolve",
)
_INCIDENT_OPS = (
    "GET /api/noc/incidents/{incident_id}",
    "POST /api/noc/incidents/{incident_id}/assign",
    "POST /api/noc/incidents/{incident_id}/{action}",
)
_WINDOW_OPS = (
    "GET /api/noc/maintenance/{window_id}",
    "PUT /api/noc/maintenance/{window_id}",
    "DELETE /api/noc/maintenance/{window_id}",
)
_USER_OPS = ("GET /api/noc/users/{user_id}", "PATCH /api/noc/users/{user_id}")

LINKS: tuple[Link, ...] = (
    *_each(
        "POST /api/noc/alerts", "200", "alert_id", "$response.body#/items/0/alert_id", *_ALERT_OPS
    ),
    *_each("GET /api/noc/alerts", "200", "alert_id", "$response.body#/items/0/id", *_ALERT_OPS),
    *_each("POST /api/noc/incidents", "201", "incident_id", "$response.body#/id", *_INCIDENT_OPS),
    *_each(
        "GET /api/noc/incidents", "200", "incident_id", "$response.body#/items/0/id", *_INCIDENT_OPS
    ),
    *_each("POST /api/noc/maintenance", "201", "window_id", "$response.body#/id", *_WINDOW_OPS),
    *_each(
        "GET /api/noc/maintenance", "200", "window_id", "$response.body#/items/0/id", *_WINDOW_OPS
    ),
    *_each("POST /api/noc/users", "201", "user_id", "$response.body#/id", *_USER_OPS),
    *_each("GET /api/noc/users", "200", "user_id", "$response.body#/0/id", *_USER_OPS),
    *_each(
        "POST /api/noc/tokens",
        "201",
        "token_id",
        "$response.body#/id",
        "DELETE /api/noc/tokens/{token_id}",
    ),
    *_each(
        "GET /api/noc/tokens",
        "200",
        "token_id",
        "$response.body#/0/id",
        "DELETE /api/noc/tokens/{token_id}",
    ),
    *_each(
        "GET /api/noc/sites",
        "200",
        "client_id",
        "$response.body#/0/client_id",
        "GET /api/noc/clients/{client_id}/snapshots",
    ),
)


def add_links(doc: dict[str, Any], links: tuple[Link, ...] = LINKS) -> dict[str, Any]:
    """``doc`` with each link under its source's answer (in place)."""
    ops: dict[str, dict[str, Any]] = {
        f"{method.upper()} {path}": op
        for path, methods in doc.get("paths", {}).items()
        for method, op in methods.items()
    }
    for link in links:
        for end in (link.source, link.target):
            if end not in ops:
                raise ValueError(f"OpenAPI link {link.source} -> {link.target}: no operation {end}")
        answer = ops[link.source]["responses"].get(link.status)
        if answer is None:
            raise ValueError(f"OpenAPI link: {link.source} documents no {link.status} answer")
        answer.setdefault("links", {})[link.name] = {
            "operationId": ops[link.target]["operationId"],
            "parameters": dict(link.parameters),
        }
    return doc


def no_null_parameters(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` without the ``null`` branch FastAPI gives an optional query,
    path or header parameter (in place): a URL or a header cannot carry a
    JSON null — the parameter is left out instead — and a ``null`` branch
    makes clients (and fuzzers) believe another type may be sent."""
    for methods in doc.get("paths", {}).values():
        for op in methods.values():
            for param in op.get("parameters", []) if isinstance(op, dict) else []:
                schema = param.get("schema", {})
                branches = schema.get("anyOf")
                if isinstance(branches, list) and {"type": "null"} in branches:
                    param["schema"] = non_null(schema)
    return doc


def install(app: FastAPI) -> None:
    """Build ``app``'s document finished (once, as FastAPI caches it)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_links(no_null_parameters(build()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
