"""Notifications (issue 13): contact points, an alert's delivery log, and
the acknowledge links sent in notifications.

- ``/api/noc/contact-points``: ``noc:configure`` by a configurer who sees
  every client (contact points are the tenant's); each change audited as
  CONFIG_CHANGE (without secrets). Settings that name people (an email
  address) are masked for a configurer without ``noc:view_pii``. Secrets (a
  webhook's signing secret, a Slack webhook URL, an SMTP password, a
  PagerDuty routing key) are stored encrypted and never returned: the answer
  lists which are set.
- ``GET /api/noc/alerts/{id}/notifications``: every delivery and attempt of
  one alert (``noc:view``, the alert in scope).
- ``/api/noc/ack/{token}``: no login — the token is the credential. GET
  shows a page with one button (a link preview must not acknowledge);
  POST acknowledges, once, before the link expires, audited as the
  recipient."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import Field, ValidationError
from sqlalchemy.exc import IntegrityError

from noc_actors.domain.enums import AuditAction, Capability, Severity
from noc_actors.domain.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from noc_actors.domain.export import DELIVERY_COLUMNS
from noc_actors.domain.notify.config import (
    CONFIGS,
    EmailConfig,
    PagerDutyConfig,
    SlackConfig,
    WebhookConfig,
    split,
)
from noc_actors.domain.notify.signing import token_hash
from noc_actors.store.repos import alert_queries, audit, notifications, users
from noc_actors.store.secrets import SecretBox
from serve_app.auth import require_tenant_wide
from serve_app.caller import Caller
from serve_app.context import AppContext
from serve_app.deps import Ctx, Viewer, requires
from serve_app.schemas import StrictModel
from serve_app.scoping import public, visible_alert

router = APIRouter(prefix="/api/noc", tags=["notifications"])

Configurer = Annotated[Caller, Depends(requires(Capability.CONFIGURE))]


class ContactFields(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    user_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="The user this contact point reaches (their notification rule); omitted: "
        "the tenant's own (a team channel), told of every escalation it wants.",
    )
    min_severity: Severity = Field(
        default=Severity.LOW, description="Alerts below this severity do not use it."
    )
    max_severity: Severity | None = Field(
        default=None,
        description="Alerts above this severity do not use it (a rule for one band, e.g. HIGH "
        "by email after 5 minutes while CRITICAL goes elsewhere); omitted: no upper bound.",
    )
    delay_s: int = Field(
        default=0,
        ge=0,
        le=86_400,
        description="Wait this long after the escalation; not sent if acknowledged meanwhile.",
    )
    send_resolved: bool = Field(default=True, description="Tell it when the alert resolves.")
    enabled: bool = True


class WebhookIn(ContactFields):
    channel: Literal["webhook"]
    config: WebhookConfig


class SlackIn(ContactFields):
    channel: Literal["slack"]
    config: SlackConfig


class EmailIn(ContactFields):
    channel: Literal["email"]
    config: EmailConfig


class PagerDutyIn(ContactFields):
    channel: Literal["pagerduty"]
    config: PagerDutyConfig


ContactIn = Annotated[WebhookIn | SlackIn | EmailIn | PagerDutyIn, Field(discriminator="channel")]


class ContactPatch(StrictModel):
    """Fields to change. ``config`` is merged into the stored settings (its
    secrets too: an omitted secret stays as it was) and checked whole."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    user_id: str | None = Field(default=None, min_length=1, max_length=128)
    min_severity: Severity | None = None
    max_severity: Severity | None = Field(default=None, description="null: no upper bound.")
    delay_s: int | None = Field(default=None, ge=0, le=86_400)
    send_resolved: bool | None = None
    enabled: bool | None = None
    config: dict[str, Any] | None = None


def _box(ctx: AppContext) -> SecretBox:
    return SecretBox(ctx.settings)


def _view(row: dict[str, Any], box: SecretBox) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "channel": row["channel"],
        "user_id": row["user_id"],
        "config": row["config"],
        "secrets_set": sorted(box.open(row["secret"])),
        "min_severity": row["min_severity"],
        "max_severity": row.get("max_severity"),
        "delay_s": row["delay_s"],
        "send_resolved": row["send_resolved"],
        "enabled": row["enabled"],
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }


async def _check_user(ctx: AppContext, caller: Caller, user_id: str | None) -> None:
    if user_id is None:
        return
    async with ctx.engine.connect() as db:
        found = await users.get_user(db, tenant_id=caller.tenant_id, user_id=user_id)
    if found is None:
        raise InvalidInput("user_id", f"unknown user {user_id!r}")


def _check_band(low: str, high: str | None) -> None:
    if high is not None and Severity(high).rank < Severity(low).rank:
        raise InvalidInput("max_severity", "must not be below min_severity")


async def _audit(caller: Caller, ctx: AppContext, contact_id: str, meta: dict[str, Any]) -> None:
    entry = caller.audit_entry(AuditAction.CONFIG_CHANGE, "contact_point", contact_id, meta)
    async with ctx.engine.begin() as db:
        await audit.append_audit(db, [entry])


@router.get("/contact-points", summary="The tenant's contact points (no secrets)")
async def list_contact_points(ctx: Ctx, caller: Configurer) -> dict[str, Any]:
    await require_tenant_wide(ctx, caller, "contact_point")
    async with ctx.engine.connect() as db:
        rows = await notifications.list_contacts(db, tenant_id=caller.tenant_id)
    box = _box(ctx)
    return {"items": [public(caller, _view(r, box)) for r in rows]}


@router.post("/contact-points", status_code=201, summary="Add a contact point")
async def create_contact_point(ctx: Ctx, caller: Configurer, body: ContactIn) -> dict[str, Any]:
    await require_tenant_wide(ctx, caller, "contact_point")
    await _check_user(ctx, caller, body.user_id)
    _check_band(body.min_severity.value, body.max_severity.value if body.max_severity else None)
    box = _box(ctx)
    plain, secrets = split(body.channel, body.config)
    try:
        async with ctx.engine.begin() as db:
            row = await notifications.create_contact(
                db,
                tenant_id=caller.tenant_id,
                now=datetime.now(UTC),
                name=body.name,
                channel=body.channel,
                config=plain,
                secret=box.seal(secrets),
                user_id=body.user_id,
                min_severity=body.min_severity.value,
                max_severity=body.max_severity.value if body.max_severity else None,
                delay_s=body.delay_s,
                send_resolved=body.send_resolved,
                enabled=body.enabled,
            )
    except IntegrityError:
        raise Conflict(f"a contact point named {body.name!r} exists") from None
    view = _view(row, box)
    await _audit(caller, ctx, row["id"], {"created": view})
    return public(caller, view)


async def _stored(ctx: AppContext, caller: Caller, contact_id: str) -> dict[str, Any]:
    await require_tenant_wide(ctx, caller, "contact_point")
    async with ctx.engine.connect() as db:
        row = await notifications.get_contact(db, tenant_id=caller.tenant_id, contact_id=contact_id)
    if row is None:
        raise NotFound("contact point", contact_id)
    return row


@router.get("/contact-points/{contact_id}", summary="One contact point (no secrets)")
async def get_contact_point(contact_id: str, ctx: Ctx, caller: Configurer) -> dict[str, Any]:
    return public(caller, _view(await _stored(ctx, caller, contact_id), _box(ctx)))


@router.patch("/contact-points/{contact_id}", summary="Change a contact point")
async def patch_contact_point(
    contact_id: str, body: ContactPatch, ctx: Ctx, caller: Configurer
) -> dict[str, Any]:
    row = await _stored(ctx, caller, contact_id)
    await _check_user(ctx, caller, body.user_id)
    box = _box(ctx)
    changes: dict[str, Any] = body.model_dump(exclude_none=True, exclude={"config"})
    if "min_severity" in changes:
        changes["min_severity"] = changes["min_severity"].value
    if "max_severity" in body.model_fields_set:  # null clears the bound
        changes["max_severity"] = body.max_severity.value if body.max_severity else None
    _check_band(
        changes.get("min_severity", row["min_severity"]),
        changes.get("max_severity", row.get("max_severity")),
    )
    if body.config is not None:
        merged = {**row["config"], **box.open(row["secret"]), **body.config}
        try:
            config = CONFIGS[row["channel"]].model_validate(merged)
        except ValidationError as err:
            first = err.errors(include_url=False)[0]
            field = ".".join(str(p) for p in ("config", *first["loc"]))
            raise InvalidInput(field, first["msg"]) from None
        plain, secrets = split(row["channel"], config)
        changes |= {"config": plain, "secret": box.seal(secrets)}
    try:
        async with ctx.engine.begin() as db:
            updated = await notifications.update_contact(
                db,
                tenant_id=caller.tenant_id,
                contact_id=contact_id,
                now=datetime.now(UTC),
                **changes,
            )
    except IntegrityError:
        raise Conflict(f"a contact point named {body.name!r} exists") from None
    assert updated is not None
    before, after = _view(row, box), _view(updated, box)
    await _audit(caller, ctx, contact_id, {"before": before, "after": after})
    return public(caller, after)


@router.delete("/contact-points/{contact_id}", status_code=204, summary="Delete a contact point")
async def delete_contact_point(contact_id: str, ctx: Ctx, caller: Configurer) -> Response:
    row = await _stored(ctx, caller, contact_id)
    async with ctx.engine.begin() as db:
        await notifications.delete_contact(db, tenant_id=caller.tenant_id, contact_id=contact_id)
    await _audit(caller, ctx, contact_id, {"deleted": _view(row, _box(ctx))})
    return Response(status_code=204)


# --- the delivery log -------------------------------------------------------------------


def _json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


@router.get(
    "/alerts/{alert_id}/notifications",
    summary="Every notification of one alert: deliveries and each attempt",
)
async def alert_notifications(alert_id: str, ctx: Ctx, caller: Viewer) -> dict[str, Any]:
    async with ctx.engine.connect() as db:
        alert = await alert_queries.get_alert(db, tenant_id=caller.tenant_id, alert_id=alert_id)
    await visible_alert(ctx, caller, alert, alert_id)
    async with ctx.engine.connect() as db:
        log = await notifications.alert_log(db, tenant_id=caller.tenant_id, alert_id=alert_id)
    # masked like the alert: a contact point's name may be a person's, and a
    # receiver's error may quote an address
    return public(
        caller,
        {
            "alert_id": alert_id,
            "deliveries": [_json({k: d[k] for k in DELIVERY_COLUMNS}) for d in log["deliveries"]],
            "attempts": [_json(a) for a in log["attempts"]],
        },
    )


# --- acknowledge links ------------------------------------------------------------------


def _either(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "text/html": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }


ACK_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: _either("The page (HTML), or with Accept: application/json the outcome"),
    404: _either("No such link"),
    409: _either("The link was used already"),
    410: _either("The link has expired"),
}
"""An acknowledge link answers a person (HTML) or a program (JSON, asked for
with ``Accept``), errors included."""

PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


def _page(title: str, text: str, button: bool = False, status: int = 200) -> HTMLResponse:
    form = "<form method='post'><button type='submit'>Acknowledge</button></form>" if button else ""
    body = (
        "<!doctype html><meta charset='utf-8'><meta name='viewport' "
        "content='width=device-width'><title>NOC</title>"
        "<style>body{font:16px system-ui;margin:3em auto;max-width:36em}"
        "button{font-size:1.2em;padding:.5em 1.5em}</style>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{form}"
    )
    return HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)


async def _link(ctx: AppContext, token: str) -> tuple[dict[str, Any] | None, str, int]:
    """The link, or why it does not work (message, status)."""
    async with ctx.engine.connect() as db:
        link = await notifications.get_ack_link(db, token_hash=token_hash(token))
    if link is None:
        return None, "This link is not valid.", 404
    if link["used_at"] is not None:
        return None, "This link was used already.", 409
    if link["expires_at"] <= datetime.now(UTC):
        return None, "This link has expired.", 410
    return link, "", 200


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.get(
    "/ack/{token}",
    response_class=HTMLResponse,
    responses=ACK_RESPONSES,
    summary="The page of an acknowledge link (no login: the token is the credential)",
)
async def ack_page(token: str, ctx: Ctx) -> HTMLResponse:
    link, why, status = await _link(ctx, token)
    if link is None:
        return _page("Cannot acknowledge", why, status=status)
    async with ctx.engine.connect() as db:
        alert = await alert_queries.get_alert(
            db, tenant_id=link["tenant_id"], alert_id=link["alert_id"]
        )
    what = f"{alert.severity.value} {alert.alert_type}" if alert else "this alert"
    return _page("Acknowledge the alert?", f"{what} ({link['alert_id']})", button=True)


@router.post(
    "/ack/{token}",
    summary="Acknowledge through a link sent in a notification (once, until it expires)",
    responses=ACK_RESPONSES,
)
async def ack_by_link(token: str, ctx: Ctx, request: Request) -> Response:
    link, why, status = await _link(ctx, token)
    if link is not None:
        async with ctx.engine.begin() as db:
            if not await notifications.use_ack_link(
                db, token_hash=token_hash(token), now=datetime.now(UTC)
            ):
                link, why, status = None, "This link was used already.", 409
    if link is None:
        if _wants_json(request):
            return JSONResponse({"error": {"code": "ack_link", "message": why}}, status)
        return _page("Cannot acknowledge", why, status=status)
    actor = link["user_id"] or f"ack-link:{link['delivery_id']}"
    agent = request.headers.get("user-agent", "")
    outcome = "acknowledged"
    try:
        await ctx.noc.acknowledge(
            link["tenant_id"],
            link["client_id"],
            link["alert_id"],
            actor,
            source_ip=request.client.host if request.client else None,
            user_agent=f"noc-ack-link {agent}".strip()[:500],
        )
    except InvalidTransition:
        outcome = "already closed or acknowledged"
    if _wants_json(request):
        return JSONResponse({"alert_id": link["alert_id"], "outcome": outcome})
    return _page("Thank you", f"The alert {link['alert_id']} is {outcome}.")
