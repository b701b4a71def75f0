"""Tenant policy: every tunable number of SPEC with its default.

A ``TenantPolicy`` is plain data. Settings build the defaults from the
environment; a tenant may override any field (stored as JSON)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

from noc_actors.domain.enums import DEFAULT_TYPE_SEVERITY, Severity
from noc_actors.domain.flapping import FlapPolicy


def _default_escalation_minutes() -> dict[Severity, float | None]:
    return {
        Severity.CRITICAL: 15,
        Severity.HIGH: 30,
        Severity.MEDIUM: 60,
        Severity.LOW: 120,
        Severity.INFO: None,
    }


MAX_DELAY_MINUTES = 30 * 24 * 60
"""Escalation delays, offline thresholds and sweep ages: 30 days at the most."""
MAX_SLA_HOURS = 365 * 24
MAX_WINDOW_MINUTES = 7 * 24 * 60
"""The correlation and incident windows: what an aggregator reloads, a week at the most."""
MAX_GRACE_MINUTES = 24 * 60


_PRIORITY: Final = re.compile(r"[A-Za-z0-9_-]{1,32}")
"""A ticket priority a tenant sets an SLA for (ASCII: stored as a JSON key on
PostgreSQL, where a lone surrogate cannot be)."""
_ALERT_TYPE: Final = re.compile(r"[A-Z0-9_]{1,64}")


def _default_sla_hours() -> dict[str, float]:
    return {"P1": 4, "HIGH": 4, "P2": 8, "MEDIUM": 8, "P3": 24, "LOW": 24, "P4": 72}


class TenantPolicy(BaseModel):
    """Numbers that govern rules, escalation and backpressure for one tenant.
    Every number is bounded (and finite: no NaN or infinity), so no stored
    policy can overflow a date computation in the rules or the loads."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    escalation_minutes: dict[Severity, float | None] = Field(
        default_factory=_default_escalation_minutes,
        description="Delay before a NEW alert escalates, per severity; null = never.",
        json_schema_extra={  # _positive_delays, in the published schema
            "additionalProperties": {
                "anyOf": [
                    {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_DELAY_MINUTES},
                    {"type": "null"},
                ]
            }
        },
    )
    escalation_max_levels: int = Field(
        default=4, ge=1, le=20, description="Escalation repeats up to this many levels."
    )
    sla_hours: dict[str, float] = Field(
        default_factory=_default_sla_hours,
        description="Ticket resolution SLA per priority (P1..P4, HIGH/MEDIUM/LOW).",
        json_schema_extra={  # _positive_sla, in the published schema
            "propertyNames": {"pattern": f"^{_PRIORITY.pattern}$"},
            "additionalProperties": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": MAX_SLA_HOURS,
            },
        },
    )
    device_offline_minutes: float = Field(default=30, gt=0, le=MAX_DELAY_MINUTES)
    attendance_grace_minutes: float = Field(default=15, ge=0, le=MAX_GRACE_MINUTES)
    gps_accuracy_max_m: float = Field(default=100, gt=0, le=100_000)
    correlation_window_minutes: float = Field(default=60, gt=0, le=MAX_WINDOW_MINUTES)
    backpressure_threshold: int = Field(default=1000, ge=1, le=10_000_000)
    backpressure_sweep_age_minutes: float = Field(default=60, gt=0, le=MAX_DELAY_MINUTES)
    incident_rule_enabled: bool = Field(
        default=True,
        description="Open incidents automatically: incident_rule_count CRITICAL alerts of a "
        "client within incident_rule_window_minutes (later ones join it while it is open).",
    )
    incident_rule_count: int = Field(default=3, ge=1, le=10_000)
    incident_rule_window_minutes: float = Field(default=10, gt=0, le=MAX_WINDOW_MINUTES)
    flap_enabled: bool = Field(
        default=True,
        description="Flap detection: a dedup key that re-opens more than flap_threshold "
        "times within flap_window_minutes becomes one flapping alert.",
    )
    flap_threshold: int = Field(default=4, ge=1, le=1000)
    flap_window_minutes: float = Field(default=30, gt=0, le=MAX_WINDOW_MINUTES)
    flap_quiet_minutes: float = Field(default=15, gt=0, le=MAX_WINDOW_MINUTES)
    type_severity: dict[str, Severity] = Field(
        default_factory=lambda: dict(DEFAULT_TYPE_SEVERITY),
        description="Default severity per alert type; tenants may add types.",
        json_schema_extra={"propertyNames": {"pattern": f"^{_ALERT_TYPE.pattern}$"}},
    )

    @field_validator("escalation_minutes")
    @classmethod
    def _positive_delays(cls, v: dict[Severity, float | None]) -> dict[Severity, float | None]:
        for sev, minutes in v.items():
            if minutes is not None and not 0 < minutes <= MAX_DELAY_MINUTES:
                raise ValueError(
                    f"delay for {sev} must be null or above 0 and at most "
                    f"{MAX_DELAY_MINUTES} minutes (30 days)"
                )
        return {**_default_escalation_minutes(), **v}

    @field_validator("sla_hours")
    @classmethod
    def _positive_sla(cls, v: dict[str, float]) -> dict[str, float]:
        for prio, hours in v.items():
            if not _PRIORITY.fullmatch(prio):
                raise ValueError(
                    f"priority {prio[:40]!r} must be 1-32 letters, digits, '_' or '-' (P1, HIGH)"
                )
            if not 0 < hours <= MAX_SLA_HOURS:
                raise ValueError(
                    f"SLA for {prio} must be above 0 and at most {MAX_SLA_HOURS} hours (a year)"
                )
        return {**_default_sla_hours(), **{k.upper(): h for k, h in v.items()}}

    @field_validator("type_severity")
    @classmethod
    def _types_extend_defaults(cls, v: dict[str, Severity]) -> dict[str, Severity]:
        for name in v:
            if not _ALERT_TYPE.fullmatch(name):
                raise ValueError(f"alert type {name!r} must be an UPPER_CASE identifier")
        return {**DEFAULT_TYPE_SEVERITY, **v}

    def escalation_delay(self, severity: Severity) -> timedelta | None:
        minutes = self.escalation_minutes.get(severity)
        return None if minutes is None else timedelta(minutes=minutes)

    def sla_for(self, priority: str) -> timedelta | None:
        hours = self.sla_hours.get(priority.upper())
        return None if hours is None else timedelta(hours=hours)

    def severity_for_type(self, alert_type: str) -> Severity:
        return self.type_severity.get(alert_type, Severity.MEDIUM)

    @property
    def device_offline_after(self) -> timedelta:
        return timedelta(minutes=self.device_offline_minutes)

    @property
    def attendance_grace(self) -> timedelta:
        return timedelta(minutes=self.attendance_grace_minutes)

    @property
    def correlation_window(self) -> timedelta:
        return timedelta(minutes=self.correlation_window_minutes)

    @property
    def flaps(self) -> FlapPolicy:
        return FlapPolicy(
            self.flap_threshold,
            timedelta(minutes=self.flap_window_minutes),
            timedelta(minutes=self.flap_quiet_minutes),
        )
