"""Errors become JSON in exactly one place: ``install_error_handlers``.

Every 4xx/5xx body is ``{"error": {"status", "code", "message",
"correlation_id", "fields"?}}``; validation errors name each field."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from noc_actors.domain.errors import (
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from serve_app.ingest.gate import Overloaded, TooLarge

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An HTTP error with a stable machine code."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        super().__init__(message)


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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, err: ApiError) -> JSONResponse:
        return error_response(request, err.status, err.code, err.message, err.headers)

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

    @app.exception_handler(InvalidInput)
    async def _invalid(request: Request, err: InvalidInput) -> JSONResponse:
        return error_response(
            request,
            422,
            "invalid_input",
            str(err),
            fields=[{"field": err.field, "message": err.message, "item": err.item}],
        )

    @app.exception_handler(InvalidTransition)
    async def _transition(request: Request, err: InvalidTransition) -> JSONResponse:
        return error_response(request, 409, "invalid_transition", str(err))

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, err: NotFound) -> JSONResponse:
        return error_response(request, 404, "not_found", str(err))

    @app.exception_handler(PermissionDenied)
    async def _denied(request: Request, err: PermissionDenied) -> JSONResponse:
        return error_response(request, 403, "forbidden", str(err))

    @app.exception_handler(Unavailable)
    async def _unavailable(request: Request, err: Unavailable) -> JSONResponse:
        return error_response(request, 503, "unavailable", str(err), {"Retry-After": "2"})

    @app.exception_handler(Overloaded)
    async def _overloaded(request: Request, err: Overloaded) -> JSONResponse:
        return error_response(
            request, 503, "overloaded", err.reason, {"Retry-After": str(err.retry_after_s)}
        )

    @app.exception_handler(TooLarge)
    async def _too_large(request: Request, err: TooLarge) -> JSONResponse:
        return error_response(request, 413, "batch_too_large", str(err))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, err: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(err.status_code, "http_error")
        return error_response(
            request, err.status_code, code, str(err.detail), dict(err.headers or {})
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, err: Exception) -> JSONResponse:
        log.exception("unhandled error (correlation id %s)", correlation_id(request))
        return error_response(
            request,
            500,
            "internal_error",
            "internal error; quote the correlation id when reporting it",
        )
