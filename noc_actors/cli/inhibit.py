"""``noc inhibit``: the tenant's inhibit rules (noise control), checked as
the API checks them; every change audited (actor ``cli``), then the
tenant's running aggregators reload so it applies to the next alert."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.cli.admin import TenantOpt, _tenant
from noc_actors.cli.common import fail, run_db
from noc_actors.domain.audit import AuditEntry
from noc_actors.domain.enums import AuditAction
from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.inhibition import DEFAULT_RULES, InhibitRule
from noc_actors.settings import Settings

inhibit_app = typer.Typer(
    help="Inhibit rules: while a source alert is open, the client's matching target alerts "
    "sharing its 'equal' labels are stored SUPPRESSED, and come back when it closes.",
    no_args_is_help=True,
)
AddressOpt = Annotated[
    str | None,
    typer.Option(help="Ray address of the NOC to reload (default: RAY_ADDRESS, else local)."),
]
DEFAULT_IDS = {r.id for r in DEFAULT_RULES}


def _entry(tenant_id: str, rule_id: str, meta: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        tenant_id=tenant_id,
        actor_id="cli",
        action=AuditAction.CONFIG_CHANGE,
        entity_type="inhibit_rule",
        entity_id=rule_id,
        at=datetime.now(UTC),
        metadata=meta,
        source_ip="cli",
        user_agent="noc-cli",
    )


def _reload(tenant_id: str, address: str | None) -> None:
    """Reload the tenant's running aggregators; says so, never fails."""
    from noc_actors.actors.client import NocClient
    from noc_actors.cli.system import RAY_PORT, head_running
    from noc_actors.domain.errors import DomainError
    from noc_actors.store.repos import clients

    where = address or os.environ.get("RAY_ADDRESS") or f"127.0.0.1:{RAY_PORT}"
    if "://" not in where and not head_running(where, timeout_s=0.5):
        typer.echo("aggregators: the NOC is not running here (they read the rules when it starts)")
        return

    async def ids(conn: AsyncConnection) -> list[str]:
        return [
            r["id"] for r in await clients.list_clients(conn, tenant_id=tenant_id) if r["enabled"]
        ]

    enabled = run_db(ids)
    import ray

    try:
        if not ray.is_initialized():
            ray.init(address=where, namespace="noc", log_to_driver=False, configure_logging=False)
    except ConnectionError as err:
        typer.echo(f"aggregators: not reloaded ({err}); they read the rules when they next load")
        return
    noc = NocClient(Settings().ray_namespace)

    async def reload_all() -> int:
        done = 0
        for cid in enabled:
            try:
                await noc.reload_client(tenant_id, cid)
                done += 1
            except DomainError:
                pass
        return done

    typer.echo(f"aggregators: {asyncio.run(reload_all())} of {len(enabled)} clients reloaded")


def _show(rule: InhibitRule, stored: set[str]) -> None:
    flags = ["on" if rule.enabled else "off"]
    if rule.id in DEFAULT_IDS:
        flags.append("default, customised" if rule.id in stored else "default")
    typer.echo(f"{rule.id}  [{', '.join(flags)}]  {rule.name}")
    typer.echo(f"    source: {', '.join(str(m) for m in rule.source_matchers)}")
    typer.echo(f"    target: {', '.join(str(m) for m in rule.target_matchers)}")
    typer.echo(f"    equal:  {', '.join(rule.equal) or '(none: the whole client)'}")


@inhibit_app.command("list")
def inhibit_list(tenant: TenantOpt) -> None:
    """The tenant's rules: the defaults (as shipped or as changed), then its own."""
    from noc_actors.store.repos import inhibit_rules

    async def work(conn: AsyncConnection) -> tuple[list[InhibitRule], set[str]]:
        tid = (await _tenant(conn, tenant))["id"]
        rules = await inhibit_rules.effective_rules(conn, tenant_id=tid)
        stored = {r["id"] for r in await inhibit_rules.stored_rules(conn, tenant_id=tid)}
        return rules, stored

    rules, stored = run_db(work)
    for rule in rules:
        _show(rule, stored)


def _write(tenant: str, rule: InhibitRule, address: str | None) -> None:
    from noc_actors.store.repos import audit, inhibit_rules

    async def work(conn: AsyncConnection) -> str:
        tid = str((await _tenant(conn, tenant))["id"])
        before = await inhibit_rules.get_rule(conn, tenant_id=tid, rule_id=rule.id)
        await inhibit_rules.put_rule(conn, tenant_id=tid, rule=rule, by=None, now=datetime.now(UTC))
        meta = {"before": before.to_dict() if before else None, "after": rule.to_dict()}
        await audit.append_audit(conn, [_entry(tid, rule.id, meta)])
        return tid

    tid = run_db(work)
    _show(rule, {rule.id})
    _reload(tid, address)


@inhibit_app.command("add")
def inhibit_add(
    name: Annotated[str, typer.Argument(help="What the rule is for.")],
    tenant: TenantOpt,
    source: Annotated[
        list[str],
        typer.Option("--source", "-s", help='A source matcher, repeated: alert_type="SITE_DOWN".'),
    ],
    target: Annotated[
        list[str],
        typer.Option("--target", help='A target matcher, repeated: alert_type=~"DEVICE_.*".'),
    ],
    equal: Annotated[
        list[str] | None,
        typer.Option("--equal", "-e", help="A label both must share, repeated: site_id."),
    ] = None,
    address: AddressOpt = None,
) -> None:
    """Add a rule, e.g. ``noc inhibit add "Fire alarm hides doors" -t acme
    -s 'alert_type="FIRE_ALARM"' --target 'alert_type=~"DOOR_.*"' -e site_id``."""
    data = {
        "id": uuid.uuid4().hex,
        "name": name,
        "source_matchers": source,
        "target_matchers": target,
        "equal": equal or [],
    }
    try:
        rule = InhibitRule.parse(data)
    except InvalidInput as err:
        option = {"source_matchers": "--source", "target_matchers": "--target"}
        field = err.field.split("[")[0]
        fail(f"{option.get(field, '--' + field)}: {err.message}", code=2)
    _write(tenant, rule, address)


def _switch(tenant: str, rule_id: str, enabled: bool, address: str | None) -> None:
    from dataclasses import replace

    from noc_actors.store.repos import inhibit_rules

    async def current(conn: AsyncConnection) -> InhibitRule | None:
        tid = str((await _tenant(conn, tenant))["id"])
        return await inhibit_rules.get_rule(conn, tenant_id=tid, rule_id=rule_id)

    rule = run_db(current)
    if rule is None:
        fail(f"no inhibit rule {rule_id!r} in tenant {tenant!r} (noc inhibit list)")
    _write(tenant, replace(rule, enabled=enabled), address)


@inhibit_app.command("disable")
def inhibit_disable(
    rule_id: Annotated[str, typer.Argument(help="Rule id (noc inhibit list).")],
    tenant: TenantOpt,
    address: AddressOpt = None,
) -> None:
    """Turn a rule off (a default rule too: the tenant keeps it off)."""
    _switch(tenant, rule_id, False, address)


@inhibit_app.command("enable")
def inhibit_enable(
    rule_id: Annotated[str, typer.Argument(help="Rule id (noc inhibit list).")],
    tenant: TenantOpt,
    address: AddressOpt = None,
) -> None:
    """Turn a rule on again."""
    _switch(tenant, rule_id, True, address)


@inhibit_app.command("delete")
def inhibit_delete(
    rule_id: Annotated[str, typer.Argument(help="Rule id (noc inhibit list).")],
    tenant: TenantOpt,
    address: AddressOpt = None,
) -> None:
    """Delete one of the tenant's rules; for a default rule, undo the
    tenant's changes to it (it applies as shipped)."""
    from noc_actors.store.repos import audit, inhibit_rules

    async def work(conn: AsyncConnection) -> str:
        tid = str((await _tenant(conn, tenant))["id"])
        before = await inhibit_rules.get_rule(conn, tenant_id=tid, rule_id=rule_id)
        if before is None:
            fail(f"no inhibit rule {rule_id!r} in tenant {tenant!r} (noc inhibit list)")
        if not await inhibit_rules.delete_rule(conn, tenant_id=tid, rule_id=rule_id):
            fail(f"{rule_id} is a shipped rule: turn it off with noc inhibit disable")
        meta = {"before": before.to_dict(), "after": None}
        await audit.append_audit(conn, [_entry(tid, rule_id, meta)])
        return tid

    tid = run_db(work)
    restored = " (the shipped rule applies again)" if rule_id in DEFAULT_IDS else ""
    typer.echo(f"deleted {rule_id}{restored}")
    _reload(tid, address)
