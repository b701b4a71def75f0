"""On-call schedules (issue 13 item 2): who is on call, per tenant, client or
site, and how escalations reach them.

- ``/api/noc/schedules``: read with ``noc:view`` (the schedules that can
  touch a client the caller sees), changed with ``noc:configure`` within the
  caller's scope (tenant-wide ones by a configurer who sees every client);
  every change audited as CONFIG_CHANGE in the same transaction, and the
  affected clients' aggregators reload (an escalation asks the schedules
  when it fires). A schedule's scope (client, site) is fixed at creation.
- ``/api/noc/schedules/{id}/overrides``: a user covers a window (wins over
  the layers).
- ``GET /api/noc/oncall?at=&client_id=&site_id=``: who is on call at ``at``
  (default now) in every schedule the caller sees — or, for a client (and
  site), in the schedules that apply to its alerts, most specific first, with
  the user its site on-call escalation step would reach.

Layers are rotations in the schedule's time zone, daylight-saving correct
(``noc_actors.domain.oncall``; docs/notifications.md)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AwareDatetime, Field, TypeAdapter, ValidationError, field_validator
from sqlalchemy.exc import IntegrityError

from noc_actors.domain.enums import AuditAction, Capability
from noc_actors.domain.errors import Conflict, InvalidInput, NotFound
from noc_actors.domain.escalation import EscalationContacts, EscalationPolicy, EscalationTarget
from noc_actors.domain.oncall import (
    Schedule,
    ScheduleError,
    check_time_zone,
    layers_json,
    parse_layers,
    schedule_for,
)
from noc_actors.domain.schema_rules import NOT_BLANK
from noc_actors.store.repos import audit, clients, oncall, users
from serve_app.auth import deny
from serve_app.caller import Caller
from serve_app.context import AppContext
from serve_app.deps import Ctx, Viewer, requires
from serve_app.reloads import reload_clients
from serve_app.schemas import StrictModel
from serve_app.scoping import check_scope_target, public, sees_scoped

router = APIRouter(prefix="/api/noc", tags=["on-call"])

Configurer = Annotated[Caller, Depends(requires(Capability.CONFIGURE))]
ENTITY = "oncall_schedule"
DEFAULT_SPAN = timedelta(days=7)
"""How far ahead a schedule's timeline reaches unless asked."""


NotBlank = Annotated[str, Field(min_length=1, max_length=128, pattern=NOT_BLANK)]
WallTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["18:00"])]
LOCAL_DATE_TIME = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9](\.[0-9]{1,6})?)?$"
)


class RestrictionIn(StrictModel):
    start: WallTime
    end: WallTime = Field(description="Before start: the window runs past midnight.")
    days: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=list,
        max_length=7,
        json_schema_extra={"uniqueItems": True},
        description="Weekdays the window starts on (0 = Monday); empty: every day.",
    )


class LayerIn(StrictModel):
    """One rotation (checked whole by ``domain.oncall.parse_layers``)."""

    name: str = Field(min_length=1, max_length=80, pattern=NOT_BLANK)
    users: list[NotBlank] = Field(min_length=1, max_length=100)
    start: str = Field(
        pattern=LOCAL_DATE_TIME,
        examples=["2026-03-02T09:00"],
        description="Local date-time of the first hand-off in the schedule's time zone, "
        "without an offset: users[0] is on call from then.",
    )
    shift_hours: float = Field(
        ge=0.25,
        le=8784,
        description="Length of one turn in wall-clock hours, a whole number of seconds (24: the "
        "same local time every day, across daylight-saving changes).",
    )
    restrictions: list[RestrictionIn] = Field(
        default_factory=list,
        max_length=14,
        description="Daily windows when the layer is on; none: always.",
    )


def _layers(raw: list[LayerIn]) -> list[dict[str, Any]]:
    """The layers as stored, checked by the domain (its field paths start at
    ``layers``)."""
    try:
        return layers_json(parse_layers([layer.model_dump() for layer in raw]))
    except ScheduleError as err:
        raise InvalidInput(err.field, err.message) from None


def _zone(name: str) -> str:
    try:
        return check_time_zone(name)
    except ScheduleError as err:
        raise InvalidInput(err.field, err.message) from None


class ScheduleIn(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    time_zone: str = Field(min_length=1, max_length=64, description="IANA, e.g. Europe/Berlin.")
    client_id: str | None = Field(
        default=None, min_length=1, max_length=128, description="Omitted: tenant-wide."
    )
    site_id: str | None = Field(default=None, min_length=1, max_length=128)
    layers: list[LayerIn] = Field(
        min_length=1, max_length=10, description="Later layers win where they are on."
    )


class SchedulePatch(StrictModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    time_zone: str | None = Field(default=None, min_length=1, max_length=64)
    layers: list[LayerIn] | None = Field(default=None, min_length=1, max_length=10)


class OverrideIn(StrictModel):
    user_id: NotBlank
    start: AwareDatetime
    end: AwareDatetime
    note: str = Field(default="", max_length=500)

    @field_validator("end")
    @classmethod
    def _after_start(cls, value: datetime, info: Any) -> datetime:
        start = info.data.get("start")
        if start is not None and value <= start:
            raise ValueError("must be after start")
        return value

    def window(self) -> tuple[datetime, datetime]:
        """``start``, ``end`` in UTC, each a moment a schedule can be asked about."""
        return _in_range("start", self.start), _in_range("end", self.end)


async def _people(ctx: AppContext, caller: Caller) -> dict[str, str]:
    """The tenant's users: id -> display name (one read per request)."""
    async with ctx.engine.connect() as db:
        return {
            u["id"]: u["display_name"]
            for u in await users.list_users(db, tenant_id=caller.tenant_id)
        }


def _check_users(people: dict[str, str], user_ids: set[str], field: str) -> None:
    unknown = sorted(user_ids - people.keys())
    if unknown:
        raise InvalidInput(field, f"unknown user {unknown[0]!r}")


def _layer_users(layers: list[dict[str, Any]]) -> set[str]:
    return {u for layer in layers for u in layer["users"]}


def _now_answer(schedule: Schedule, at: datetime, names: dict[str, str]) -> dict[str, Any]:
    """Who is on call at ``at``, since when is unknown, until the next hand-off."""
    user = schedule.on_call(at)
    ahead = schedule.shifts(at, at + DEFAULT_SPAN)
    return {
        "user_id": user,
        "user_name": names.get(user) if user else None,
        "source": ahead[0].source if ahead else "",
        "until": ahead[0].end.isoformat() if ahead and ahead[0].end < at + DEFAULT_SPAN else None,
    }


def _view(
    row: dict[str, Any],
    schedule: Schedule,
    overrides: list[dict[str, Any]],
    names: dict[str, str],
    at: datetime,
    span: tuple[datetime, datetime] | None = None,
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": row["id"],
        "name": row["name"],
        "time_zone": row["time_zone"],
        "client_id": row["client_id"],
        "site_id": row["site_id"],
        "layers": row["layers"],
        "overrides": [
            {
                "id": o["id"],
                "user_id": o["user_id"],
                "user_name": names.get(o["user_id"]),
                "start": o["start_at"].isoformat(),
                "end": o["end_at"].isoformat(),
                "note": o["note"],
                "created_by": o["created_by"],
            }
            for o in overrides
        ],
        "on_call": _now_answer(schedule, at, names),
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }
    if span is not None:
        view["shifts"] = [
            {
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "user_id": s.user,
                "user_name": names.get(s.user) if s.user else None,
                "source": s.source,
            }
            for s in schedule.shifts(*span)
        ]
    return view


async def _stored(
    ctx: AppContext, caller: Caller, schedule_id: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The schedule and its overrides: 404 for none / another tenant's, 403
    (audited) for one that touches nothing the caller sees."""
    async with ctx.engine.connect() as db:
        row = await oncall.get_schedule(db, tenant_id=caller.tenant_id, schedule_id=schedule_id)
        overrides = await oncall.list_overrides(
            db, tenant_id=caller.tenant_id, schedule_ids=[schedule_id]
        )
    if row is None:
        raise NotFound("schedule", schedule_id)
    if not sees_scoped(caller, row["client_id"], row["site_id"]):
        raise await deny(ctx, caller, "scope", ENTITY, schedule_id)
    return row, overrides


async def _audited(
    ctx: AppContext,
    caller: Caller,
    schedule_id: str | None,
    meta: dict[str, Any],
    write: Any,
    conflict: str = "a schedule with that name exists",
) -> Any:
    """Run ``write(db)`` and its audit entry in one transaction (a new
    schedule is audited under the id the store gave it)."""
    try:
        async with ctx.engine.begin() as db:
            result = await write(db)
            entity = schedule_id if schedule_id is not None else result["id"]
            entry = caller.audit_entry(AuditAction.CONFIG_CHANGE, ENTITY, entity, meta)
            await audit.append_audit(db, [entry])
    except IntegrityError:
        raise Conflict(conflict) from None
    return result


INSTANT: dict[str, Any] = {
    "json_schema_extra": {"format": "date-time"},
    "examples": ["2026-03-29T09:00:00+02:00"],
}
"""A query parameter that is a moment: RFC 3339 with an offset (a number is
not one, as pydantic would take it)."""


RFC3339 = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)
MOMENT_RANGE = "a moment between 1970 and 9000 is expected"


def _in_range(field: str, value: datetime) -> datetime:
    """``value`` in UTC, if a schedule can be asked about it."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(field, MOMENT_RANGE) from None
    if not EARLIEST <= utc < LATEST:
        raise InvalidInput(field, MOMENT_RANGE)
    return utc


def _instant(field: str, raw: str | None) -> datetime | None:
    """A query parameter's moment: RFC 3339 with an offset."""
    if raw is None:
        return None
    try:
        if not RFC3339.match(raw):
            raise ValueError(raw)
        value = TypeAdapter(AwareDatetime).validate_strings(raw)
    except (ValueError, ValidationError):
        raise InvalidInput(field, "an RFC 3339 date-time with an offset is expected") from None
    return _in_range(field, value)


def _at(at: datetime | None) -> datetime:
    return (at or datetime.now(UTC)).astimezone(UTC)


# --- schedules ----------------------------------------------------------------------


@router.get("/schedules", summary="On-call schedules the caller sees, with who is on call now")
async def list_schedules(
    ctx: Ctx,
    caller: Viewer,
    client_id: Annotated[str | None, Query(max_length=128)] = None,
) -> dict[str, Any]:
    at = _at(None)
    async with ctx.engine.connect() as db:
        rows = await oncall.list_schedules(db, tenant_id=caller.tenant_id, client_id=client_id)
        overrides = await oncall.list_overrides(
            db, tenant_id=caller.tenant_id, schedule_ids=[r["id"] for r in rows], ending_after=at
        )
    names = await _people(ctx, caller)
    items = []
    for row in rows:
        if not sees_scoped(caller, row["client_id"], row["site_id"]):
            continue
        own = [o for o in overrides if o["schedule_id"] == row["id"]]
        items.append(public(caller, _view(row, oncall.schedule_of(row, own), own, names, at)))
    return {"items": items}


@router.post("/schedules", status_code=201, summary="Add an on-call schedule")
async def create_schedule(ctx: Ctx, caller: Configurer, body: ScheduleIn) -> dict[str, Any]:
    zone = _zone(body.time_zone)
    layers = _layers(body.layers)
    await check_scope_target(ctx, caller, ENTITY, body.client_id, body.site_id)
    people = await _people(ctx, caller)
    _check_users(people, _layer_users(layers), "layers")
    now = datetime.now(UTC)

    async def write(db: Any) -> dict[str, Any]:
        return await oncall.create_schedule(
            db,
            tenant_id=caller.tenant_id,
            now=now,
            name=body.name,
            time_zone=zone,
            client_id=body.client_id,
            site_id=body.site_id,
            layers=layers,
        )

    meta = {"created": body.model_dump(mode="json")}
    row = await _audited(
        ctx, caller, None, meta, write, conflict=f"a schedule named {body.name!r} exists"
    )
    await reload_clients(ctx, caller.tenant_id, [row["client_id"]])
    return public(caller, _view(row, oncall.schedule_of(row), [], people, now))


@router.get("/schedules/{schedule_id}", summary="One schedule, with its on-call timeline")
async def get_schedule(
    ctx: Ctx,
    caller: Viewer,
    schedule_id: str,
    start: Annotated[
        str | None, Query(alias="from", description="Timeline start (default now).", **INSTANT)
    ] = None,
    end: Annotated[
        str | None, Query(alias="to", description="Timeline end (default 7 days on).", **INSTANT)
    ] = None,
) -> dict[str, Any]:
    row, overrides = await _stored(ctx, caller, schedule_id)
    at = _at(None)
    begin = _at(_instant("from", start)) if start else at
    finish = _at(_instant("to", end)) if end else begin + DEFAULT_SPAN
    if finish <= begin:
        raise InvalidInput("to", "must be after from")
    if finish - begin > timedelta(days=93):
        raise InvalidInput("to", "the timeline covers at most 93 days")
    names = await _people(ctx, caller)
    schedule = oncall.schedule_of(row, overrides)
    return public(caller, _view(row, schedule, overrides, names, at, (begin, finish)))


@router.patch("/schedules/{schedule_id}", summary="Change a schedule's name, zone or layers")
async def patch_schedule(
    ctx: Ctx, caller: Configurer, schedule_id: str, body: SchedulePatch
) -> dict[str, Any]:
    row, overrides = await _stored(ctx, caller, schedule_id)
    await check_scope_target(ctx, caller, ENTITY, row["client_id"], row["site_id"])
    changes: dict[str, Any] = {}
    if body.name is not None:
        changes["name"] = body.name
    if body.time_zone is not None:
        changes["time_zone"] = _zone(body.time_zone)
    people = await _people(ctx, caller)
    if body.layers is not None:
        changes["layers"] = _layers(body.layers)
        _check_users(people, _layer_users(changes["layers"]), "layers")
    now = datetime.now(UTC)
    before = {k: row[k] for k in changes}

    async def write(db: Any) -> dict[str, Any] | None:
        return await oncall.update_schedule(
            db, tenant_id=caller.tenant_id, schedule_id=schedule_id, now=now, **changes
        )

    saved = await _audited(ctx, caller, schedule_id, {"before": before, "after": changes}, write)
    if saved is None:
        raise NotFound("schedule", schedule_id)
    await reload_clients(ctx, caller.tenant_id, [row["client_id"]])
    return public(
        caller, _view(saved, oncall.schedule_of(saved, overrides), overrides, people, now)
    )


@router.delete("/schedules/{schedule_id}", status_code=204, summary="Delete a schedule")
async def delete_schedule(ctx: Ctx, caller: Configurer, schedule_id: str) -> Response:
    row, _ = await _stored(ctx, caller, schedule_id)
    await check_scope_target(ctx, caller, ENTITY, row["client_id"], row["site_id"])

    async def write(db: Any) -> bool:
        return await oncall.delete_schedule(db, tenant_id=caller.tenant_id, schedule_id=schedule_id)

    meta = {"deleted": {"name": row["name"], "client_id": row["client_id"]}}
    await _audited(ctx, caller, schedule_id, meta, write)
    await reload_clients(ctx, caller.tenant_id, [row["client_id"]])
    return Response(status_code=204)


# --- overrides ----------------------------------------------------------------------


@router.post(
    "/schedules/{schedule_id}/overrides",
    status_code=201,
    summary="A user covers a window of the schedule (wins over its layers)",
)
async def add_override(
    ctx: Ctx, caller: Configurer, schedule_id: str, body: OverrideIn
) -> dict[str, Any]:
    row, _ = await _stored(ctx, caller, schedule_id)
    await check_scope_target(ctx, caller, ENTITY, row["client_id"], row["site_id"])
    start, end = body.window()
    _check_users(await _people(ctx, caller), {body.user_id}, "user_id")
    if end - start > timedelta(days=93):
        raise InvalidInput("end", "an override covers at most 93 days")
    now = datetime.now(UTC)

    async def write(db: Any) -> dict[str, Any]:
        return await oncall.add_override(
            db,
            tenant_id=caller.tenant_id,
            schedule_id=schedule_id,
            user_id=body.user_id,
            start_at=start,
            end_at=end,
            note=body.note,
            created_by=caller.user_id,
            now=now,
        )

    meta = {"override": body.model_dump(mode="json")}
    saved = await _audited(ctx, caller, schedule_id, meta, write)
    await reload_clients(ctx, caller.tenant_id, [row["client_id"]])
    return public(
        caller,
        {
            "id": saved["id"],
            "schedule_id": schedule_id,
            "user_id": saved["user_id"],
            "start": saved["start_at"].isoformat(),
            "end": saved["end_at"].isoformat(),
            "note": saved["note"],
            "created_by": saved["created_by"],
        },
    )


@router.delete(
    "/schedules/{schedule_id}/overrides/{override_id}",
    status_code=204,
    summary="Remove an override",
)
async def delete_override(
    ctx: Ctx, caller: Configurer, schedule_id: str, override_id: str
) -> Response:
    row, _ = await _stored(ctx, caller, schedule_id)
    await check_scope_target(ctx, caller, ENTITY, row["client_id"], row["site_id"])

    async def write(db: Any) -> dict[str, Any] | None:
        return await oncall.delete_override(
            db, tenant_id=caller.tenant_id, schedule_id=schedule_id, override_id=override_id
        )

    removed = await _audited(ctx, caller, schedule_id, {"override_removed": override_id}, write)
    if removed is None:
        raise NotFound("override", override_id)
    await reload_clients(ctx, caller.tenant_id, [row["client_id"]])
    return Response(status_code=204)


# --- who is on call -----------------------------------------------------------------


def _escalates_to(
    found: list[Schedule],
    client_id: str,
    site: dict[str, Any] | None,
    at: datetime,
    names: dict[str, str],
) -> dict[str, Any] | None:
    """The user the site on-call step of an escalation at ``at`` reaches —
    asked the way the aggregator asks it (``domain.escalation``)."""
    fixed = site.get("oncall_user_id") if site else None
    site_id = site["id"] if site else None
    contacts = EscalationContacts(
        site_oncall={site_id: fixed} if site_id and fixed else {}, schedules=tuple(found)
    )
    step = EscalationPolicy((EscalationTarget("site_oncall"),))
    chain = step.resolve_chain(contacts, client_id, site_id)
    user = chain[0].label_at(at) if chain else None
    if user is None or user == "site_oncall":
        return None
    return {"user_id": user, "user_name": names.get(user)}


@router.get("/oncall", summary="Who is on call at a moment")
async def who_is_on_call(
    ctx: Ctx,
    caller: Viewer,
    at: Annotated[str | None, Query(description="Default: now.", **INSTANT)] = None,
    client_id: Annotated[str | None, Query(max_length=128)] = None,
    site_id: Annotated[str | None, Query(max_length=128)] = None,
) -> dict[str, Any]:
    """Every schedule the caller sees with its on-call user at ``at``; for a
    ``client_id`` (and ``site_id``), the schedules that apply to its alerts,
    most specific first, and ``escalates_to``: the user the site on-call
    step of an escalation at ``at`` reaches (the site's fixed on-call user
    between the site's schedules and the client's)."""
    moment = _at(_instant("at", at))
    if site_id is not None and client_id is None:
        raise InvalidInput("site_id", "a site needs its client_id")
    if client_id is not None and not sees_scoped(caller, client_id, site_id):
        raise await deny(ctx, caller, "scope", "client", client_id)
    async with ctx.engine.connect() as db:
        found = await oncall.load_schedules(
            db, tenant_id=caller.tenant_id, client_id=client_id, ending_after=moment
        )
        site = (
            await clients.get_site(db, tenant_id=caller.tenant_id, site_id=site_id)
            if site_id is not None
            else None
        )
    if site_id is not None and (site is None or site["client_id"] != client_id):
        raise InvalidInput("site_id", f"{site_id!r} is not a site of client {client_id!r}")
    names = await _people(ctx, caller)
    if client_id is not None:
        applying = schedule_for(found, client_id, site_id)
    else:
        applying = [s for s in found if sees_scoped(caller, s.client_id, s.site_id)]
    items = [
        {
            "schedule_id": s.id,
            "name": s.name,
            "client_id": s.client_id,
            "site_id": s.site_id,
            **_now_answer(s, moment, names),
        }
        for s in applying
    ]
    answer: dict[str, Any] = {"at": moment.isoformat(), "items": items}
    if client_id is not None:
        answer["escalates_to"] = _escalates_to(found, client_id, site, moment, names)
    return public(caller, answer)
