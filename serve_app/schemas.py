"""Request and response bodies (pydantic), layered Base -> In -> Public."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from noc_actors.domain.schema_rules import StrictModel as StrictModel  # the bodies' base
from noc_actors.domain.schema_rules import require_when
from noc_actors.domain.transitions import Action


class TransitionIn(StrictModel):
    assignee: str | None = Field(default=None, min_length=1, max_length=128)
    notes: str | None = Field(default=None, max_length=4000)


class AssignIn(TransitionIn):
    """``POST /alerts/{id}/assign``: whom to assign it to."""

    assignee: str = Field(min_length=1, max_length=128)


class ShelveIn(TransitionIn):
    """``POST /alerts/{id}/shelve``: for how long."""

    minutes: float = Field(default=60, gt=0, le=7 * 24 * 60, allow_inf_nan=False)


class BulkIn(TransitionIn):
    model_config = ConfigDict(json_schema_extra=require_when("action", ["assign"], ["assignee"]))

    action: Action
    alert_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=128)]] = Field(
        min_length=1, max_length=100
    )
    minutes: float = Field(
        default=60,
        gt=0,
        le=7 * 24 * 60,
        allow_inf_nan=False,
        description="With shelve: how long (minutes).",
    )


class AlertPage(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None


class BulkResult(BaseModel):
    id: str
    ok: bool
    status: int
    alert: dict[str, Any] | None = None
    error: str | None = None


class BulkOut(BaseModel):
    action: Action
    results: list[BulkResult]
    succeeded: int
    failed: int


class TimeRange(StrictModel):
    since: datetime | None = None
    until: datetime | None = None
