"""SPEC 4 and 13: platform events are validated strictly, with errors that
name the item and the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from noc_actors.domain.events import (
    ID_MAX,
    TITLE_MAX,
    AttendanceEvent,
    DeviceEvent,
    TicketEvent,
    TicketPriority,
    TicketStatus,
    WorkOrderEvent,
    parse_event,
    parse_events,
)

T0 = "2026-11-26T08:00:00Z"


def ticket(**kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "kind": "ticket",
        "id": "T1",
        "client_id": "c1",
        "priority": "P1",
        "status": "OPEN",
        "created_at": T0,
    }
    d.update(kw)
    return d


def work_order(**kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "kind": "work_order",
        "id": "W1",
        "client_id": "c1",
        "site_id": "s1",
        "status": "ASSIGNED",
        "planned_at": T0,
        "expires_at": "2026-11-26T10:00:00Z",
        "title": "Fix the gate",
    }
    d.update(kw)
    return d


def device(**kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "kind": "device",
        "id": "D1",
        "client_id": "c1",
        "site_id": "s1",
        "status": "ONLINE",
        "last_seen": T0,
    }
    d.update(kw)
    return d


def shift(**kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "kind": "attendance",
        "id": "SH1",
        "person_id": "p1",
        "client_id": "c1",
        "site_id": "s1",
        "shift_start": T0,
        "shift_end": "2026-11-26T16:00:00Z",
    }
    d.update(kw)
    return d


def error_locs(exc: ValidationError) -> list[tuple[Any, ...]]:
    return [e["loc"] for e in exc.errors()]


def test_a_batch_dispatches_each_item_on_its_kind() -> None:
    batch = parse_events([ticket(), work_order(), device(), shift()])
    assert [type(e) for e in batch] == [TicketEvent, WorkOrderEvent, DeviceEvent, AttendanceEvent]


def test_datetimes_are_normalised_to_utc() -> None:
    t = TicketEvent.model_validate(ticket(created_at="2026-11-26T10:00:00+02:00"))
    assert t.created_at == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert t.created_at.tzinfo is UTC


def test_naive_datetime_is_rejected_with_a_clear_message() -> None:
    with pytest.raises(ValidationError) as err:
        parse_event(ticket(created_at="2026-11-26T08:00:00"))
    assert "timezone" in str(err.value) and "created_at" in str(err.value)


def test_naive_python_datetime_is_rejected_too() -> None:
    with pytest.raises(ValidationError, match="naive"):
        DeviceEvent(
            id="D1",
            client_id="c1",
            site_id="s1",
            status="ONLINE",  # type: ignore[arg-type]
            last_seen=datetime(2026, 11, 26, 8, 0),
        )


def test_aware_non_utc_python_datetime_is_accepted() -> None:
    tz = timezone(timedelta(hours=-5))
    d = DeviceEvent(
        id="D1",
        client_id="c1",
        site_id="s1",
        status="ONLINE",  # type: ignore[arg-type]
        last_seen=datetime(2026, 11, 26, 3, 0, tzinfo=tz),
    )
    assert d.last_seen == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValidationError) as err:
        parse_events([ticket(), {"kind": "invoice", "id": "x"}])
    assert "invoice" in str(err.value) and error_locs(err.value)[0][0] == 1


def test_missing_kind_is_rejected() -> None:
    with pytest.raises(ValidationError, match="kind"):
        parse_event({"id": "T1"})


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError) as err:
        parse_event(ticket(color="red"))
    assert error_locs(err.value) == [("ticket", "color")]


@pytest.mark.parametrize("priority", ["P1", "P2", "P3", "P4", "LOW", "MEDIUM", "HIGH", "p2"])
def test_known_priorities_are_accepted_case_insensitively(priority: str) -> None:
    assert TicketEvent.model_validate(ticket(priority=priority)).priority == priority.upper()


def test_unknown_priority_names_the_field_and_the_choices() -> None:
    with pytest.raises(ValidationError) as err:
        parse_events([ticket(priority="P9")])
    assert error_locs(err.value) == [(0, "ticket", "priority")]
    assert "'P1'" in str(err.value)


@pytest.mark.parametrize(
    ("maker", "status"),
    [(ticket, "DONE"), (work_order, "FINISHED"), (device, "ASLEEP")],
)
def test_unknown_status_is_rejected(maker: Any, status: str) -> None:
    with pytest.raises(ValidationError, match="status"):
        parse_event(maker(status=status))


def test_oversized_strings_are_rejected() -> None:
    with pytest.raises(ValidationError, match="id"):
        parse_event(ticket(id="x" * (ID_MAX + 1)))
    with pytest.raises(ValidationError, match="title"):
        parse_event(ticket(title="x" * (TITLE_MAX + 1)))


def test_empty_id_is_rejected() -> None:
    with pytest.raises(ValidationError, match="id"):
        parse_event(device(id="  "))


def test_negative_escalation_level_is_rejected() -> None:
    with pytest.raises(ValidationError, match="escalation_level"):
        parse_event(ticket(escalation_level=-1))


def test_ticket_site_assignee_and_title_are_optional() -> None:
    t = parse_event(ticket())
    assert isinstance(t, TicketEvent)
    assert (t.site_id, t.assignee, t.title, t.escalation_level) == (None, None, None, 0)


def test_work_order_expiring_before_it_is_planned_is_rejected() -> None:
    with pytest.raises(ValidationError, match="expires_at"):
        parse_event(work_order(expires_at="2026-11-26T07:00:00Z"))


def test_device_requires_a_site() -> None:
    bad = device()
    del bad["site_id"]
    with pytest.raises(ValidationError, match="site_id"):
        parse_event(bad)


def test_shift_must_end_after_it_starts() -> None:
    with pytest.raises(ValidationError, match="shift_end"):
        parse_event(shift(shift_end=T0))


def test_lat_and_lon_come_together_and_within_range() -> None:
    with pytest.raises(ValidationError, match="lat and lon"):
        parse_event(shift(punch_in=T0, lat=51.5))
    with pytest.raises(ValidationError, match="lat"):
        parse_event(shift(punch_in=T0, lat=91, lon=0))
    with pytest.raises(ValidationError, match="lon"):
        parse_event(shift(punch_in=T0, lat=0, lon=181))


def test_punch_out_needs_an_earlier_punch_in() -> None:
    with pytest.raises(ValidationError, match="punch_out requires punch_in"):
        parse_event(shift(punch_out=T0))
    with pytest.raises(ValidationError, match="before punch_in"):
        parse_event(shift(punch_in="2026-11-26T09:00:00Z", punch_out=T0))


def test_negative_gps_accuracy_is_rejected() -> None:
    with pytest.raises(ValidationError, match="gps_accuracy_m"):
        parse_event(shift(punch_in=T0, gps_accuracy_m=-1))


def test_event_round_trips_through_json_mode_dump() -> None:
    e = parse_event(shift(punch_in=T0, gps_accuracy_m=12.5, lat=51.5, lon=-0.1))
    assert parse_event(e.model_dump(mode="json")) == e


def test_models_build_directly_with_their_kind_defaulted() -> None:
    t = TicketEvent(
        id="T1",
        client_id="c1",
        priority=TicketPriority.P2,
        status=TicketStatus.NEW,
        created_at=datetime(2026, 11, 26, tzinfo=UTC),
    )
    assert t.kind == "ticket" and t.is_open
