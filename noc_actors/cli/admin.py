"""Admin commands: database, tenants, clients, sites, users, tokens."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.cli.common import echo_kv, fail, run_db
from noc_actors.cli.system import open_client_if_running
from noc_actors.domain.enums import AuditAction, Capability
from noc_actors.settings import Settings

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
tenant_app = typer.Typer(help="Tenants (operating companies).", no_args_is_help=True)
client_app = typer.Typer(help="Clients of a tenant.", no_args_is_help=True)
site_app = typer.Typer(help="Sites of a client.", no_args_is_help=True)
user_app = typer.Typer(help="Users (operators, supervisors, executives).", no_args_is_help=True)
token_app = typer.Typer(help="API tokens and integration keys.", no_args_is_help=True)

TenantOpt = Annotated[str, typer.Option("--tenant", "-t", help="Tenant name or id.")]


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the newest version."""
    from noc_actors.store.db import redact_url, upgrade

    settings = Settings()
    upgrade(settings.database_url)
    typer.echo(f"database is up to date: {redact_url(settings.database_url)}")


async def _tenant(conn: AsyncConnection, ref: str) -> dict[str, Any]:
    from noc_actors.store.repos import tenants

    row = await tenants.get_tenant_by_name(conn, name=ref) or await tenants.get_tenant(
        conn, tenant_id=ref
    )
    if row is None:
        fail(f"unknown tenant {ref!r} (create it with: noc tenant create {ref})")
    return row


@tenant_app.command("create")
def tenant_create(name: Annotated[str, typer.Argument(help="Unique tenant name.")]) -> None:
    """Create a tenant with the default policy."""
    from noc_actors.store.repos import tenants

    async def work(conn: AsyncConnection) -> dict[str, Any]:
        if await tenants.get_tenant_by_name(conn, name=name) is not None:
            fail(f"tenant {name!r} already exists")
        return await tenants.create_tenant(conn, name=name)

    row = run_db(work)
    echo_kv(tenant=row["name"], id=row["id"])


@tenant_app.command("list")
def tenant_list() -> None:
    """List tenants."""
    from noc_actors.store.repos import tenants

    for row in run_db(lambda conn: tenants.list_tenants(conn)):
        typer.echo(f"{row['id']}  {row['name']}")


@client_app.command("create")
def client_create(
    name: Annotated[str, typer.Argument(help="Client (customer) name.")],
    tenant: TenantOpt,
    client_id: Annotated[
        str | None, typer.Option("--id", help="Client id (default: generated).")
    ] = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="Create it disabled.")] = False,
) -> None:
    """Create a client of a tenant."""
    from noc_actors.store.repos import clients

    async def work(conn: AsyncConnection) -> dict[str, Any]:
        t = await _tenant(conn, tenant)
        try:
            return await clients.create_client(
                conn, tenant_id=t["id"], name=name, client_id=client_id, enabled=not disabled
            )
        except IntegrityError:
            fail(f"client {client_id or name!r} already exists")

    row = run_db(work)
    echo_kv(client=row["name"], id=row["id"], enabled=row["enabled"])
    if row["enabled"]:
        typer.echo(open_client_if_running(row["id"]))


@client_app.command("list")
def client_list(tenant: TenantOpt) -> None:
    """List the clients of a tenant."""
    from noc_actors.store.repos import clients

    async def work(conn: AsyncConnection) -> list[dict[str, Any]]:
        t = await _tenant(conn, tenant)
        return await clients.list_clients(conn, tenant_id=t["id"])

    for row in run_db(work):
        state = "enabled" if row["enabled"] else "disabled"
        typer.echo(f"{row['id']}  {row['name']}  ({state})")


def _set_enabled(tenant: str, client_id: str, enabled: bool) -> None:
    from noc_actors.store.repos import clients

    async def work(conn: AsyncConnection) -> bool:
        t = await _tenant(conn, tenant)
        return await clients.set_enabled(
            conn, tenant_id=t["id"], client_id=client_id, enabled=enabled
        )

    if not run_db(work):
        fail(f"unknown client {client_id!r} in tenant {tenant!r}")
    echo_kv(client=client_id, enabled=enabled)
    if enabled:
        typer.echo(open_client_if_running(client_id))


@client_app.command("disable")
def client_disable(
    client_id: Annotated[str, typer.Argument(help="Client id.")], tenant: TenantOpt
) -> None:
    """Disable a client (an offboarded customer): from the next request on its
    ingested items are rejected (with that reason) and it leaves the overview;
    its alerts, snapshots and audit rows are kept. A running NOC stops the
    client's snapshots when its aggregator next loads (noc down, noc up)."""
    _set_enabled(tenant, client_id, False)


@client_app.command("enable")
def client_enable(
    client_id: Annotated[str, typer.Argument(help="Client id.")], tenant: TenantOpt
) -> None:
    """Enable a disabled client again."""
    _set_enabled(tenant, client_id, True)


@client_app.command("place")
def client_place(
    client_id: Annotated[str, typer.Argument(help="Client id.")],
    tenant: TenantOpt,
    dedicated: Annotated[
        bool,
        typer.Option(
            "--dedicated/--pooled",
            help="A host of its own (a loud client) or a shared pool host.",
        ),
    ],
    resource: Annotated[
        str | None,
        typer.Option(
            help="With --dedicated: run its host only on nodes offering this Ray custom "
            "resource (e.g. noc_vip; each host asks one unit)."
        ),
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(help="Ray address of the NOC (default: RAY_ADDRESS, else 127.0.0.1:6380)."),
    ] = None,
) -> None:
    """Move a running client to a dedicated or a pooled host. Its calls wait
    while it moves (nothing is lost or applied twice); escalations due
    meanwhile fire once. Needs a running NOC (noc up)."""
    from noc_actors.actors.client import NocClient
    from noc_actors.cli.system import connect
    from noc_actors.domain.errors import DomainError

    async def tenant_id(conn: AsyncConnection) -> str:
        return str((await _tenant(conn, tenant))["id"])

    tid = run_db(tenant_id)
    connect(address)
    placement = "dedicated" if dedicated else "pooled"
    typer.echo(f"==> moving {client_id} to a {placement} host")
    try:
        noc = NocClient(Settings().ray_namespace)
        moved = asyncio.run(noc.place(tid, client_id, placement, resource))
    except DomainError as err:
        fail(str(err))
    if moved["moved"]:
        echo_kv(client=client_id, placement=placement, host=moved["to"], paused_s=moved["paused_s"])
        if resource:
            echo_kv(resource=resource)
    else:
        echo_kv(client=client_id, placement=placement, host=moved["to"], moved=False)


@site_app.command("create")
def site_create(
    name: Annotated[str, typer.Argument(help="Site name.")],
    tenant: TenantOpt,
    client: Annotated[str, typer.Option("--client", "-c", help="Client id.")],
    site_id: Annotated[
        str | None, typer.Option("--id", help="Site id (default: generated).")
    ] = None,
    lat: Annotated[float | None, typer.Option(help="Latitude of the geofence centre.")] = None,
    lon: Annotated[float | None, typer.Option(help="Longitude of the geofence centre.")] = None,
    radius_m: Annotated[float | None, typer.Option(help="Geofence radius in metres.")] = None,
) -> None:
    """Create a site of a client."""
    from noc_actors.store.repos import clients

    async def work(conn: AsyncConnection) -> dict[str, Any]:
        t = await _tenant(conn, tenant)
        if await clients.get_client(conn, tenant_id=t["id"], client_id=client) is None:
            fail(f"unknown client {client!r} in tenant {tenant!r}")
        try:
            return await clients.create_site(
                conn,
                tenant_id=t["id"],
                client_id=client,
                name=name,
                site_id=site_id,
                lat=lat,
                lon=lon,
                geofence_radius_m=radius_m,
            )
        except IntegrityError:
            fail(f"site {site_id or name!r} already exists")

    row = run_db(work)
    echo_kv(site=row["name"], id=row["id"], client=row["client_id"])


def parse_capabilities(values: list[str]) -> dict[str, bool]:
    """``noc:view`` grants, ``noc:view=false`` stores an explicit denial."""
    known = {c.value for c in Capability}
    caps: dict[str, bool] = {}
    for raw in values:
        for item in filter(None, (p.strip() for p in raw.split(","))):
            name, _, flag = item.partition("=")
            if name not in known:
                fail(f"unknown capability {name!r}; known: {', '.join(sorted(known))}", code=2)
            if flag and flag.lower() not in ("true", "false"):
                fail(f"capability {name}: value must be true or false, not {flag!r}", code=2)
            caps[name] = flag.lower() != "false"
    return caps


@user_app.command("create")
def user_create(
    tenant: TenantOpt,
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    email: Annotated[str, typer.Option("--email", help="Email (unique in the tenant).")],
    phone: Annotated[str | None, typer.Option("--phone")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Tenant admin: every capability.")] = False,
    cap: Annotated[
        list[str] | None,
        typer.Option("--cap", help="Capability, repeatable or comma-separated, e.g. noc:view."),
    ] = None,
    client: Annotated[
        list[str] | None, typer.Option("--client", help="Assigned client id.")
    ] = None,
    site: Annotated[list[str] | None, typer.Option("--site", help="Assigned site id.")] = None,
) -> None:
    """Create a user with capabilities and a scope."""
    from noc_actors.store.repos import clients, users

    caps = parse_capabilities(cap or [])
    if "@" not in email:
        fail(f"--email: {email!r} is not an email address", code=2)

    async def work(conn: AsyncConnection) -> dict[str, Any]:
        t = await _tenant(conn, tenant)
        known_clients = {c["id"] for c in await clients.list_clients(conn, tenant_id=t["id"])}
        known_sites = {s["id"] for s in await clients.list_sites(conn, tenant_id=t["id"])}
        for c in client or []:
            if c not in known_clients:
                fail(f"--client: unknown client {c!r} in tenant {tenant!r}", code=2)
        for s in site or []:
            if s not in known_sites:
                fail(f"--site: unknown site {s!r} in tenant {tenant!r}", code=2)
        if await users.get_user_by_email(conn, tenant_id=t["id"], email=email) is not None:
            fail(f"a user with email {email!r} already exists in tenant {tenant!r}")
        return await users.create_user(
            conn,
            tenant_id=t["id"],
            display_name=name,
            email=email,
            phone=phone,
            is_admin=admin,
            capabilities=caps,
            client_ids=client or [],
            site_ids=site or [],
        )

    row = run_db(work)
    granted = sorted(k for k, v in caps.items() if v)
    echo_kv(
        user=row["display_name"],
        id=row["id"],
        admin=row["is_admin"],
        capabilities=", ".join(granted) or "-",
    )


@token_app.command("issue")
def token_issue(
    tenant: TenantOpt,
    user: Annotated[str | None, typer.Option("--user", help="User email or id.")] = None,
    integration: Annotated[
        str | None, typer.Option("--integration", help="Name of an integration key (noc:ingest).")
    ] = None,
    client: Annotated[
        str | None, typer.Option("--client", help="Integration key limited to one client.")
    ] = None,
    expires_in_days: Annotated[float | None, typer.Option(help="Expiry; default never.")] = None,
) -> None:
    """Issue a token. It is printed once; only its hash is stored."""
    from noc_actors.store.repos import audit, clients, tokens, users

    if (user is None) == (integration is None):
        fail("give exactly one of --user EMAIL or --integration NAME", code=2)
    if client and not integration:
        fail("--client applies to integration keys only", code=2)
    if expires_in_days is not None and expires_in_days <= 0:
        fail("--expires-in-days must be positive", code=2)
    now = datetime.now(UTC)
    expires = now + timedelta(days=expires_in_days) if expires_in_days else None

    async def work(conn: AsyncConnection) -> tuple[str, dict[str, Any]]:
        t = await _tenant(conn, tenant)
        kwargs: dict[str, Any]
        if user is not None:
            u = await users.get_user_by_email(conn, tenant_id=t["id"], email=user) or (
                await users.get_user(conn, tenant_id=t["id"], user_id=user)
            )
            if u is None:
                fail(f"--user: unknown user {user!r} in tenant {tenant!r}", code=2)
            kwargs = dict(user_id=u["id"], kind="user", name=f"cli:{u['email']}")
        else:
            if (
                client
                and await clients.get_client(conn, tenant_id=t["id"], client_id=client) is None
            ):
                fail(f"--client: unknown client {client!r} in tenant {tenant!r}", code=2)
            kwargs = dict(
                kind="integration",
                name=integration,
                client_id=client,
                capabilities=[Capability.INGEST.value],
            )
        plaintext, row = await tokens.issue_token(
            conn, tenant_id=t["id"], now=now, expires_at=expires, **kwargs
        )
        await audit.append_audit(
            conn,
            [
                dict(
                    tenant_id=t["id"],
                    actor_id="cli",
                    action=AuditAction.TOKEN_ISSUED.value,
                    entity_type="token",
                    entity_id=row["id"],
                    metadata={"kind": row["kind"]},
                    source_ip="cli",
                    user_agent="noc-cli",
                    correlation_id=None,
                    at=now,
                )
            ],
        )
        return plaintext, row

    plaintext, row = run_db(work)
    echo_kv(token_id=row["id"], kind=row["kind"], expires=row["expires_at"] or "never")
    typer.echo("token (shown once, store it now):")
    typer.echo(plaintext)


@token_app.command("revoke")
def token_revoke(
    tenant: TenantOpt,
    token_id: Annotated[str, typer.Argument(help="Token id (from `noc token issue`).")],
) -> None:
    """Revoke a token; it is refused from the next request on."""
    from noc_actors.store.repos import audit, tokens

    now = datetime.now(UTC)

    async def work(conn: AsyncConnection) -> bool:
        t = await _tenant(conn, tenant)
        done = await tokens.revoke_token(conn, tenant_id=t["id"], token_id=token_id, now=now)
        if done:
            await audit.append_audit(
                conn,
                [
                    dict(
                        tenant_id=t["id"],
                        actor_id="cli",
                        action=AuditAction.TOKEN_REVOKED.value,
                        entity_type="token",
                        entity_id=token_id,
                        metadata={},
                        source_ip="cli",
                        user_agent="noc-cli",
                        correlation_id=None,
                        at=now,
                    )
                ],
            )
        return done

    if not run_db(work):
        fail(f"unknown or already revoked token {token_id!r} in tenant {tenant!r}")
    typer.echo(f"revoked {token_id}")
