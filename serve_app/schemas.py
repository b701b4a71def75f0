"""Request and response bodies (pydantic), layered Base -> In -> Public."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler, StringConstraints
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from noc_actors.domain.schema_rules import not_blank, require_when
from noc_actors.domain.transitions import Action


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core_schema))
        not_blank(schema)  # whitespace is stripped before min_length is checked
        return schema


class TransitionIn(StrictModel):
    assignee: str | None = Field(default=None, min_length=1, max_length=128)
    notes: str | None = Field(default=None, max_length=4000)


class AssignIn(TransitionIn):
    """``POST /alerts/{id}/assign``: whom to assign it to."""

    assignee: str = Field(min_length=1, max_length=128)


class BulkIn(TransitionIn):
    model_config = ConfigDict(json_schema_extra=require_when("action", ["assign"], ["assignee"]))

    action: Action
    alert_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=128)]] = Field(
        min_length=1, max_length=100
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
