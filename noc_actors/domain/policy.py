"""Tenant policy: every tunable number of SPEC with its default.

A ``TenantPolicy`` is plain data. Settings build the defaults from the
environment; a tenant may override any field (stored as JSON)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from noc_actors.domain.enums import DEFAULT_TYPE_SEVERITY, Severity


def _default_escalation_minutes() -> dict[Severity, float | None]:
    return {
        Severity.CRITICAL: 15,
        Severity.HIGH: 30,
        Severity.MEDIUM: 60,
        Severity.LOW: 120,
        Severity.INFO: None,
    }


def _default_sla_hours() -> dict[str, float]:
    return {"P1": 4, "HIGH": 4, "P2": 8, "MEDIUM": 8, "P3": 24, "LOW": 24, "P4": 72}


class TenantPolicy(BaseModel):
    """Numbers that govern rules, escalation and backpressure for one tenant."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    escalation_minutes: dict[Severity, float | None] = Field(
        default_factory=_default_escalation_minutes,
        description="Delay before a NEW alert escalates, per severity; null = never.",
    )
    escalation_max_levels: int = Field(
        default=4, ge=1, le=20, description="Escalation repeats up to this many levels."
    )
    sla_hours: dict[str, float] = Field(
        default_factory=_default_sla_hours,
        description="Ticket resolution SLA per priority (P1..P4, HIGH/MEDIUM/LOW).",
    )
    device_offline_minutes: float = Field(default=30, gt=0)
    attendance_grace_minutes: float = Field(default=15, ge=0)
    gps_accuracy_max_m: float = Field(default=100, gt=0)
    correlation_window_minutes: float = Field(default=60, gt=0)
    backpressure_threshold: int = Field(default=1000, ge=1)
    backpressure_sweep_age_minutes: float = Field(default=60, gt=0)
    incident_rule_count: int = Field(default=3, ge=1)
    incident_rule_window_minutes: float = Field(default=10, gt=0)
    type_severity: dict[str, Severity] = Field(
        default_factory=lambda: dict(DEFAULT_TYPE_SEVERITY),
        description="Default severity per alert type; tenants may add types.",
    )

    @field_validator("escalation_minutes")
    @classmethod
    def _positive_delays(cls, v: dict[Severity, float | None]) -> dict[Severity, float | None]:
        for sev, minutes in v.items():
            if minutes is not None and minutes <= 0:
                raise ValueError(f"delay for {sev} must be positive or null")
        return {**_default_escalation_minutes(), **v}

    @field_validator("sla_hours")
    @classmethod
    def _positive_sla(cls, v: dict[str, float]) -> dict[str, float]:
        for prio, hours in v.items():
            if hours <= 0:
                raise ValueError(f"SLA for {prio} must be positive")
        return {**_default_sla_hours(), **{k.upper(): h for k, h in v.items()}}

    @field_validator("type_severity")
    @classmethod
    def _types_extend_defaults(cls, v: dict[str, Severity]) -> dict[str, Severity]:
        for name in v:
            if not name or not name.replace("_", "").isalnum() or name.upper() != name:
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
