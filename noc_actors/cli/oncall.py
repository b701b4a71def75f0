"""``noc oncall``: who is on call, read from the database (schedules are
managed over the API, ``/api/noc/schedules``, which tells the running
aggregators; see docs/notifications.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.cli.admin import TenantOpt, _tenant
from noc_actors.cli.common import fail, run_db
from noc_actors.domain.oncall import Schedule, schedule_for


def _when(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--at: not an ISO date-time: {text!r}", code=2)
    if at.tzinfo is None:
        fail("--at needs an offset, e.g. 2026-12-24T22:00:00+01:00", code=2)
    return at.astimezone(UTC)


def oncall(
    tenant: TenantOpt,
    at: Annotated[
        str | None, typer.Option("--at", help="ISO date-time with offset (default: now).")
    ] = None,
    client: Annotated[
        str | None,
        typer.Option("--client", help="Only the schedules that apply to this client's alerts."),
    ] = None,
    site: Annotated[
        str | None, typer.Option("--site", help="With --client: and this site's alerts.")
    ] = None,
    days: Annotated[
        int, typer.Option("--days", min=0, max=93, help="Also print the next N days' shifts.")
    ] = 0,
) -> None:
    """Who is on call (per schedule, most specific first with --client), until
    when, and optionally the shifts ahead."""
    from noc_actors.store.repos import oncall as repo
    from noc_actors.store.repos import users

    if site is not None and client is None:
        fail("--site needs --client", code=2)
    moment = _when(at)

    async def work(conn: AsyncConnection) -> tuple[list[Schedule], dict[str, str]]:
        t = await _tenant(conn, tenant)
        found = await repo.load_schedules(
            conn, tenant_id=t["id"], client_id=client, ending_after=moment
        )
        names = {u["id"]: u["email"] for u in await users.list_users(conn, tenant_id=t["id"])}
        return found, names

    found, names = run_db(work)
    if client is not None:
        found = schedule_for(found, client, site)
    if not found:
        typer.echo("no schedule applies" if client else f"tenant {tenant!r} has no schedules")
        return

    def who(user: str | None) -> str:
        return names.get(user, user) if user else "(nobody)"

    for schedule in found:
        scope: Any = schedule.site_id or schedule.client_id or "tenant-wide"
        ahead = schedule.shifts(moment, moment + timedelta(days=max(days, 1)))
        until = ahead[0].end.isoformat() if len(ahead) > 1 else "-"
        typer.echo(
            f"{schedule.name} ({scope}, {schedule.time_zone}): "
            f"{who(schedule.on_call(moment))} until {until}"
        )
        for piece in ahead if days else []:
            typer.echo(
                f"  {piece.start.isoformat()} .. {piece.end.isoformat()}  {who(piece.user)}"
                f"  [{piece.source or 'gap'}]"
            )
