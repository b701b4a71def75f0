"""The dashboard page (SPEC section 12): ``/`` is ``static/index.html``,
``/static/<file>`` its stylesheet, ES modules and icon — plain files committed
with the package, no build step.

The page holds no data: it signs in with a bearer token, reads through the
REST API and listens on ``/ws/noc/dashboard``. Responses carry a strict
Content-Security-Policy (same-origin scripts, styles and connections only)
and ``Cache-Control: no-cache`` so a deploy is picked up at once (the ETag
makes revalidation cheap)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import APIRouter
from fastapi.responses import FileResponse

from noc_actors.domain.errors import NotFound

router = APIRouter(tags=["dashboard"], include_in_schema=False)

STATIC_DIR: Final = Path(__file__).resolve().parent.parent / "static"
MEDIA_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
HEADERS: Final = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}


def static_file(name: str) -> FileResponse:
    """A file of ``STATIC_DIR`` by its relative name; 404 for anything else
    (unknown types, directories, paths that climb out)."""
    path = (STATIC_DIR / name).resolve()
    media_type = MEDIA_TYPES.get(path.suffix)
    if media_type is None or not path.is_relative_to(STATIC_DIR) or not path.is_file():
        raise NotFound("file", name)
    return FileResponse(path, media_type=media_type, headers=HEADERS)


@router.get("/", summary="The dashboard page")
async def index() -> FileResponse:
    return static_file("index.html")


@router.get("/static/{name:path}", summary="The dashboard's assets")
async def asset(name: str) -> FileResponse:
    return static_file(name)
