"""Errors become JSON in exactly one place: ``install_error_handlers``.

Every 4xx/5xx body is ``{"error": {"status", "code", "message",
"correlation_id", ...}}``. The status, code and Retry-After of the NOC's own
errors come from the one table in ``serve_app.errors``; the framework's own
errors (request validation, unknown routes) are mapped here. Validation
errors name each field; a partly stored ingest batch carries its per-item
``result``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from noc_actors.domain.errors import InvalidInput
from noc_actors.store.outage import OUTAGE, as_unavailable
from serve_app.errors import ERRORS, PartlyStored, answer_for, message_for

log = logging.getLogger(__name__)


def correlation_id(request: Request) -> str:
    return str(getattr(request.state, "correlation_id", "") or "")


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "error": {
            "status": status,
            "code": code,
            "message": message,
            "correlation_id": correlation_id(request),
            **extra,
        }
    }
    return JSONResponse(body, status_code=status, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _extra(err: Exception) -> dict[str, Any]:
    """Fields an error adds to its body."""
    if isinstance(err, InvalidInput):
        return {"fields": [{"field": err.field, "message": err.message, "item": err.item}]}
    if isinstance(err, PartlyStored):
        return {"result": err.result}
    return {}


def known_error_response(request: Request, err: Exception) -> JSONResponse:
    """The answer of one of the NOC's own errors (status, code and
    Retry-After from the error table)."""
    answer = answer_for(err)
    return error_response(
        request, answer.status, answer.code, message_for(err), answer.headers(), **_extra(err)
    )


def install_error_handlers(app: FastAPI) -> None:
    async def known(request: Request, err: Exception) -> JSONResponse:
        return known_error_response(request, err)

    for error_type in ERRORS:
        app.add_exception_handler(error_type, known)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, err: RequestValidationError) -> JSONResponse:
        fields = [
            {"field": _field(e.get("loc", ())), "message": e.get("msg", "invalid")}
            for e in err.errors()
        ]
        first = fields[0] if fields else {"field": "body", "message": "invalid"}
        return error_response(
            request, 422, "invalid_input", f"{first['field']}: {first['message']}", fields=fields
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, err: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
            err.status_code, "http_error"
        )
        message = str(err.detail)
        headers = dict(err.headers or {})
        if err.status_code == 413:  # Starlette's body limit, for a body that streamed past it
            message = "request body larger than the limit (NOC_MAX_BODY_BYTES)"
        if err.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return error_response(request, err.status_code, code, message, headers)

    @app.exception_handler(Exception)
    async def _crash(request: Request, err: Exception) -> JSONResponse:
        outage = as_unavailable(err)
        if outage is not None:  # the database is down: 503, retry — not a bug
            log.warning(
                "database unavailable (correlation id %s): %s",
                correlation_id(request),
                outage.detail,
            )
            return await known(request, outage)
        log.exception("unhandled error (correlation id %s)", correlation_id(request))
        answer = answer_for(err)
        return error_response(request, answer.status, answer.code, message_for(err))

    # Database errors are looked at before the catch-all (which Starlette
    # runs outermost, after the answer): an outage is a 503, not a crash.
    for error_type in (*OUTAGE, DBAPIError):
        app.add_exception_handler(error_type, _crash)


class ErrorDetail(BaseModel):
    status: int
    code: str
    message: str
    correlation_id: str
    fields: list[dict[str, Any]] | None = None
    result: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    | (  # the proxy in front answers a request it cannot parse (too large) with HTML
        {"content": {"text/html": {"schema": {"type": "string"}}}} if status == 400 else {}
    )
    for status, text in (
        (
            400,
            "The body could not be parsed (JSON), or the request line and headers were "
            "too large for the HTTP proxy (its HTML page)",
        ),
        (401, "No valid bearer token"),
        (403, "A capability or the scope is missing (audited)"),
        (404, "Not found (or another tenant's)"),
        (405, "Method not allowed (Allow lists the path's methods)"),
        (409, "Conflicts with what is stored (a transition, a duplicate)"),
        (413, "Body or batch too large"),
        (422, "Invalid input: the error names each field"),
        (500, "Internal error: quote the correlation id"),
        (503, "Unavailable for now (database, an actor, backpressure): retry after Retry-After"),
    )
}
"""Documented on every operation (``create_app``): what any route may answer."""


def allowed_methods(request: Request) -> list[str]:
    """Every method the request's path supports, across all its routes (a
    405's ``Allow``: Starlette's names only the first matching route's)."""
    path = request.url.path
    methods: set[str] = set()
    for route in request.app.routes:
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path):
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)
