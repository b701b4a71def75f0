"""Shared plumbing for CLI commands: settings, one engine per command, errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.settings import Settings

T = TypeVar("T")


def fail(message: str, code: int = 1) -> NoReturn:
    """A user error: one ``error: ...`` line on stderr, then a non-zero exit
    (2 for bad arguments, 1 for everything else)."""
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def run_db(work: Callable[[AsyncConnection], Awaitable[T]], settings: Settings | None = None) -> T:
    """Run ``work`` in one transaction against the configured database."""
    from noc_actors.store.db import make_engine

    settings = settings or Settings()

    async def main() -> T:
        engine = make_engine(settings.database_url)
        try:
            async with engine.begin() as conn:
                return await work(conn)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def echo_kv(**fields: Any) -> None:
    width = max(len(k) for k in fields)
    for key, value in fields.items():
        typer.echo(f"{key.ljust(width)}  {value}")


def served_on(settings: Settings, port: int) -> Settings:
    """``settings`` with the acknowledge links of notifications pointing at
    the API on ``port``, unless ``NOC_PUBLIC_URL`` says where it is."""
    import os

    if not port or "NOC_PUBLIC_URL" in os.environ:
        return settings
    return settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})
