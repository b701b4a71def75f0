"""``/api/noc/inhibit-rules``: the tenant's inhibit rules (issue 14, SPEC
16), Alertmanager's ``inhibit_rules`` as data. While a source alert is open,
new and open target alerts of the same client that share its ``equal``
labels are stored SUPPRESSED (``inhibited by <source id>``); when it
closes, the targets still firing come back as NEW.

The shipped default rule (``default-site-outage``: a SITE_DOWN or
GATEWAY_OFFLINE alert hides DEVICE_OFFLINE alerts of its site) applies
unless the tenant replaces it (``PUT`` with its id; ``enabled: false``
turns it off); ``DELETE`` of a default puts it back as shipped. Reading
needs ``noc:view``; changing needs ``noc:configure`` over every client of
the tenant. Every change is audited (CONFIG_CHANGE, before and after) and
the tenant's aggregators reload at once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field, StrictBool
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.domain.enums import AuditAction, Capability
from noc_actors.domain.errors import Conflict, NotFound
from noc_actors.domain.inhibition import DEFAULT_RULES, InhibitRule
from noc_actors.domain.integrations.matchers import MATCHER_VALUE_MAX, ONE_MATCHER_SHAPE
from noc_actors.domain.schema_rules import NOT_BLANK
from noc_actors.store.repos import audit, inhibit_rules
from serve_app.auth import require_tenant_wide
from serve_app.caller import Caller
from serve_app.deps import Ctx, Viewer, requires
from serve_app.reloads import reload_clients
from serve_app.schemas import StrictModel

router = APIRouter(prefix="/api/noc/inhibit-rules", tags=["inhibit rules"])

Configurer = Annotated[Caller, Depends(requires(Capability.CONFIGURE))]
MatcherText = Annotated[
    str,
    Field(
        min_length=2,
        max_length=MATCHER_VALUE_MAX + 80,
        pattern=ONE_MATCHER_SHAPE,
        examples=['alert_type="SITE_DOWN"'],
    ),
]
"""One Alertmanager matcher (``name=value``, ``!=``, ``=~``, ``!~``; quoted
or bare value; regexes on RE2)."""
LabelName = Annotated[str, Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")]
RULE_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
RuleId = Annotated[str, Path(pattern=RULE_ID, max_length=128)]


class InhibitRuleIn(StrictModel):
    """A rule: while an open alert matches every ``source_matchers``, the
    client's alerts matching every ``target_matchers`` with the same values
    of the ``equal`` labels are muted. Labels: ``alert_type``, ``severity``,
    ``site_id``, ``entity_type``, ``entity_id``, ``source``, ``client_id``,
    and an Alertmanager alert's own labels."""

    name: str = Field(min_length=1, max_length=200, pattern=NOT_BLANK)
    source_matchers: list[MatcherText] = Field(min_length=1, max_length=16)
    target_matchers: list[MatcherText] = Field(min_length=1, max_length=16)
    equal: list[LabelName] = Field(max_length=8, json_schema_extra={"uniqueItems": True})
    enabled: StrictBool = True


class InhibitRuleList(BaseModel):
    items: list[dict[str, Any]]


_DEFAULTS = {r.id: r for r in DEFAULT_RULES}


def _parse(body: InhibitRuleIn, rule_id: str) -> InhibitRule:
    """The domain rule (the matchers' regexes compiled: a bad one is a 422
    naming ``source_matchers[i]``)."""
    return InhibitRule.parse(body.model_dump() | {"id": rule_id})


def _view(rule: InhibitRule, stored: set[str]) -> dict[str, Any]:
    return rule.to_dict() | {
        "default": rule.id in _DEFAULTS,
        "customised": rule.id in _DEFAULTS and rule.id in stored,
    }


async def _rules(ctx: Ctx, tenant_id: str) -> tuple[list[InhibitRule], set[str]]:
    async with ctx.engine.connect() as db:
        rules = await inhibit_rules.effective_rules(db, tenant_id=tenant_id)
        stored = {r["id"] for r in await inhibit_rules.stored_rules(db, tenant_id=tenant_id)}
    return rules, stored


@router.get("", response_model=InhibitRuleList, summary="The tenant's inhibit rules")
async def list_rules(ctx: Ctx, caller: Viewer) -> InhibitRuleList:
    """Defaults first (as shipped, or as the tenant replaced them), then the
    tenant's own rules, oldest first; disabled ones included."""
    rules, stored = await _rules(ctx, caller.tenant_id)
    return InhibitRuleList(items=[_view(r, stored) for r in rules])


@router.post("", status_code=201, summary="Add an inhibit rule")
async def create_rule(body: InhibitRuleIn, ctx: Ctx, caller: Configurer) -> dict[str, Any]:
    await require_tenant_wide(ctx, caller, "inhibit_rule")
    rule = _parse(body, uuid.uuid4().hex)
    return await _store(ctx, caller, rule, None)


@router.put("/{rule_id}", summary="Replace an inhibit rule (or a default's settings)")
async def put_rule(
    rule_id: RuleId, body: InhibitRuleIn, ctx: Ctx, caller: Configurer
) -> dict[str, Any]:
    """Creates the rule when no rule has this id; for a default rule's id,
    stores the tenant's version of it."""
    await require_tenant_wide(ctx, caller, "inhibit_rule")
    async with ctx.engine.connect() as db:
        before = await inhibit_rules.get_rule(db, tenant_id=caller.tenant_id, rule_id=rule_id)
    return await _store(ctx, caller, _parse(body, rule_id), before)


@router.delete("/{rule_id}", summary="Delete an inhibit rule (a default: back as shipped)")
async def delete_rule(rule_id: RuleId, ctx: Ctx, caller: Configurer) -> dict[str, Any]:
    """404 for no such rule; 409 for a default the tenant never changed
    (turn it off with ``PUT`` and ``enabled: false``)."""
    await require_tenant_wide(ctx, caller, "inhibit_rule")
    now = datetime.now(UTC)
    async with ctx.engine.begin() as db:
        before = await inhibit_rules.get_rule(db, tenant_id=caller.tenant_id, rule_id=rule_id)
        if before is None:
            raise NotFound("inhibit rule", rule_id)
        if not await inhibit_rules.delete_rule(db, tenant_id=caller.tenant_id, rule_id=rule_id):
            raise Conflict(f"{rule_id} is a shipped rule: turn it off with PUT and enabled false")
        after = _DEFAULTS.get(rule_id)
        meta = {"before": before.to_dict(), "after": after.to_dict() if after else None}
        await _audit(db, caller, rule_id, meta, now)
    reloaded = await reload_clients(ctx, caller.tenant_id)
    return {"deleted": rule_id, "restored_default": after is not None, "reloaded": reloaded}


async def _store(
    ctx: Ctx, caller: Caller, rule: InhibitRule, before: InhibitRule | None
) -> dict[str, Any]:
    now = datetime.now(UTC)
    async with ctx.engine.begin() as db:
        await inhibit_rules.put_rule(
            db, tenant_id=caller.tenant_id, rule=rule, by=caller.user_id, now=now
        )
        meta = {"before": before.to_dict() if before else None, "after": rule.to_dict()}
        await _audit(db, caller, rule.id, meta, now)
    reloaded = await reload_clients(ctx, caller.tenant_id)
    rules, stored = await _rules(ctx, caller.tenant_id)
    (saved,) = [r for r in rules if r.id == rule.id]
    return _view(saved, stored) | {"reloaded": reloaded}


async def _audit(
    db: AsyncConnection, caller: Caller, rule_id: str, meta: dict[str, Any], now: datetime
) -> None:
    entry = caller.audit_entry(AuditAction.CONFIG_CHANGE, "inhibit_rule", rule_id, meta, now)
    await audit.append_audit(db, [entry])
