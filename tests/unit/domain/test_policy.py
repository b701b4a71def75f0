"""Every policy number is bounded and finite, so no stored policy can
overflow a date computation in the rules or an aggregator's load."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from noc_actors.domain.enums import Severity
from noc_actors.domain.policy import (
    MAX_DELAY_MINUTES,
    MAX_SLA_HOURS,
    MAX_WINDOW_MINUTES,
    TenantPolicy,
)

FAR = datetime(2026, 11, 29, tzinfo=UTC)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"escalation_minutes": {"CRITICAL": MAX_DELAY_MINUTES + 1}}, "escalation_minutes"),
        ({"escalation_minutes": {"HIGH": float("nan")}}, "escalation_minutes.HIGH"),
        ({"sla_hours": {"P1": float("inf")}}, "sla_hours.P1"),
        ({"sla_hours": {"P1": MAX_SLA_HOURS * 2}}, "sla_hours"),
        ({"correlation_window_minutes": MAX_WINDOW_MINUTES + 1}, "correlation_window_minutes"),
        ({"device_offline_minutes": 1e15}, "device_offline_minutes"),
        ({"backpressure_threshold": 10**12}, "backpressure_threshold"),
    ],
)
def test_out_of_bounds_numbers_are_refused_naming_the_field(
    overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        TenantPolicy(**overrides)
    assert ".".join(str(p) for p in err.value.errors()[0]["loc"]) == field


def test_the_largest_allowed_numbers_still_compute_dates() -> None:
    policy = TenantPolicy(
        escalation_minutes={Severity.CRITICAL: MAX_DELAY_MINUTES},
        sla_hours={"P1": MAX_SLA_HOURS},
        correlation_window_minutes=MAX_WINDOW_MINUTES,
    )
    delay = policy.escalation_delay(Severity.CRITICAL)
    sla = policy.sla_for("P1")
    assert delay is not None and sla is not None
    assert FAR + delay > FAR and FAR + sla > FAR and FAR - policy.correlation_window < FAR


@pytest.mark.parametrize("key", ["\ud800", "P\udc801", "", "x" * 33, "P 1", "Ünter"])
def test_an_sla_priority_that_is_not_a_plain_identifier_is_refused(key: str) -> None:
    """Issue 11 item 16: a lone surrogate as an SLA priority was stored (200)
    on SQLite and answered 500 on PostgreSQL (JSONB cannot hold it)."""
    with pytest.raises(ValidationError, match="priority"):
        TenantPolicy(sla_hours={key: 4})


def test_plain_priorities_are_kept_upper_cased() -> None:
    assert TenantPolicy(sla_hours={"p5": 100, "NIGHT_SHIFT": 2}).sla_hours["P5"] == 100


@pytest.mark.parametrize("name", ["door_forced", "ÉTAT", "\ud800", "A B", ""])
def test_an_alert_type_must_be_an_upper_case_ascii_identifier(name: str) -> None:
    with pytest.raises(ValidationError, match="UPPER_CASE"):
        TenantPolicy(type_severity={name: "HIGH"})
