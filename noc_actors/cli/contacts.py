"""``noc contact``: the tenant's contact points (where notifications go),
checked like the API checks them; secrets stored encrypted, never printed;
every change audited (actor ``cli``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.cli.admin import TenantOpt, _tenant
from noc_actors.cli.common import echo_kv, fail, run_db
from noc_actors.domain.enums import AuditAction, Severity
from noc_actors.domain.notify.config import CONFIGS, split
from noc_actors.domain.notify.contacts import CHANNELS
from noc_actors.settings import Settings

contact_app = typer.Typer(
    help="Contact points: where escalations and resolutions are sent (webhook, slack, "
    "email, pagerduty).",
    no_args_is_help=True,
)


def _settings_of(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            fail(f"--set takes KEY=VALUE, got {pair!r}", code=2)
        out[key.strip()] = {"true": True, "false": False}.get(value.lower(), value)
    return out


def _audit_row(tenant_id: str, contact_id: str, meta: dict[str, Any]) -> dict[str, Any]:
    return dict(
        tenant_id=tenant_id,
        actor_id="cli",
        action=AuditAction.CONFIG_CHANGE.value,
        entity_type="contact_point",
        entity_id=contact_id,
        metadata=meta,
        source_ip="cli",
        user_agent="noc-cli",
        correlation_id=None,
        at=datetime.now(UTC),
    )


@contact_app.command("add")
def contact_add(
    name: Annotated[str, typer.Argument(help="Unique name in the tenant.")],
    tenant: TenantOpt,
    channel: Annotated[str, typer.Option("--channel", "-c", help="|".join(CHANNELS))],
    settings: Annotated[
        list[str],
        typer.Option(
            "--set",
            help="A channel setting KEY=VALUE, repeated: webhook url, secret; slack url; "
            "email to, from, host, port, starttls, username, password; pagerduty "
            "routing_key, url.",
        ),
    ],
    user: Annotated[
        str | None, typer.Option("--user", help="The user (email or id) it reaches.")
    ] = None,
    min_severity: Annotated[
        Severity, typer.Option("--min-severity", help="Alerts below it do not use it.")
    ] = Severity.LOW,
    max_severity: Annotated[
        Severity | None,
        typer.Option("--max-severity", help="Alerts above it do not use it (one band: a rule)."),
    ] = None,
    delay_s: Annotated[
        int, typer.Option("--delay", min=0, max=86_400, help="Seconds after the escalation.")
    ] = 0,
    no_resolved: Annotated[
        bool, typer.Option("--no-resolved", help="Do not tell it when alerts resolve.")
    ] = False,
) -> None:
    """Add a contact point, e.g. ``noc contact add ops -t acme -c webhook --set
    url=https://ops.example.com/noc --set secret=...``."""
    from noc_actors.store.repos import audit, notifications, users
    from noc_actors.store.secrets import SecretBox

    if channel not in CHANNELS:
        fail(f"--channel must be one of {', '.join(CHANNELS)}", code=2)
    if max_severity is not None and max_severity.rank < min_severity.rank:
        fail("--max-severity must not be below --min-severity", code=2)
    try:
        config = CONFIGS[channel].model_validate(_settings_of(settings))
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        fail(f"--set {'.'.join(str(p) for p in first['loc'])}: {first['msg']}", code=2)
    plain, secrets = split(channel, config)
    box = SecretBox(Settings())

    async def work(conn: AsyncConnection) -> dict[str, Any]:
        t = await _tenant(conn, tenant)
        user_id = None
        if user is not None:
            u = await users.get_user_by_email(conn, tenant_id=t["id"], email=user) or (
                await users.get_user(conn, tenant_id=t["id"], user_id=user)
            )
            if u is None:
                fail(f"--user: unknown user {user!r} in tenant {tenant!r}", code=2)
            user_id = u["id"]
        try:
            row = await notifications.create_contact(
                conn,
                tenant_id=t["id"],
                now=datetime.now(UTC),
                name=name,
                channel=channel,
                config=plain,
                secret=box.seal(secrets),
                user_id=user_id,
                min_severity=min_severity.value,
                max_severity=max_severity.value if max_severity else None,
                delay_s=delay_s,
                send_resolved=not no_resolved,
                enabled=True,
            )
        except IntegrityError:
            fail(f"a contact point named {name!r} exists in tenant {tenant!r}")
        meta = {"created": {"name": name, "channel": channel, "config": plain}}
        await audit.append_audit(conn, [_audit_row(t["id"], row["id"], meta)])
        return row

    row = run_db(work)
    echo_kv(contact=row["name"], id=row["id"], channel=channel, secrets=", ".join(secrets) or "-")


@contact_app.command("list")
def contact_list(tenant: TenantOpt) -> None:
    """List the tenant's contact points (secrets are never shown)."""
    from noc_actors.store.repos import notifications

    async def work(conn: AsyncConnection) -> list[dict[str, Any]]:
        t = await _tenant(conn, tenant)
        return await notifications.list_contacts(conn, tenant_id=t["id"])

    for row in run_db(work):
        who = f"user {row['user_id']}" if row["user_id"] else "tenant"
        state = "enabled" if row["enabled"] else "disabled"
        typer.echo(
            f"{row['id']}  {row['name']}  {row['channel']}  {who}  "
            f"{_band(row)}  delay {row['delay_s']}s  ({state})"
        )


def _band(row: dict[str, Any]) -> str:
    low, high = row["min_severity"], row.get("max_severity")
    if high is None:
        return f">= {low}"
    return low if low == high else f"{low}..{high}"


@contact_app.command("remove")
def contact_remove(
    tenant: TenantOpt,
    contact_id: Annotated[str, typer.Argument(help="Contact point id.")],
) -> None:
    """Delete a contact point (its delivery log stays)."""
    from noc_actors.store.repos import audit, notifications

    async def work(conn: AsyncConnection) -> bool:
        t = await _tenant(conn, tenant)
        done = await notifications.delete_contact(conn, tenant_id=t["id"], contact_id=contact_id)
        if done:
            await audit.append_audit(conn, [_audit_row(t["id"], contact_id, {"deleted": True})])
        return done

    if not run_db(work):
        fail(f"unknown contact point {contact_id!r} in tenant {tenant!r}")
    typer.echo(f"removed {contact_id}")
