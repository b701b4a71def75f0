"""The closed vocabularies of the NOC: severities, statuses, capabilities."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """Alert severity, ordered INFO < LOW < MEDIUM < HIGH < CRITICAL."""

    INFO = "INFO"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}


class AlertStatus(StrEnum):
    NEW = "NEW"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    ASSIGNED = "ASSIGNED"
    ESCALATED = "ESCALATED"
    RESOLVED = "RESOLVED"
    SUPPRESSED = "SUPPRESSED"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


OPEN_STATUSES: frozenset[AlertStatus] = frozenset(
    {AlertStatus.NEW, AlertStatus.ACKNOWLEDGED, AlertStatus.ASSIGNED, AlertStatus.ESCALATED}
)


class AlertType(StrEnum):
    """Built-in alert types. The type list is data: tenants may add their own
    (any upper-case identifier), so fields typed ``str`` accept these and more."""

    SLA_BREACH = "SLA_BREACH"
    TICKET_ESCALATED = "TICKET_ESCALATED"
    DEVICE_OFFLINE = "DEVICE_OFFLINE"
    DEVICE_SPOOF = "DEVICE_SPOOF"
    GEOFENCE_BREACH = "GEOFENCE_BREACH"
    ATTENDANCE_MISSING = "ATTENDANCE_MISSING"
    ATTENDANCE_ANOMALY = "ATTENDANCE_ANOMALY"
    SYNC_DEGRADED = "SYNC_DEGRADED"
    SECURITY_ANOMALY = "SECURITY_ANOMALY"
    WORK_ORDER_OVERDUE = "WORK_ORDER_OVERDUE"
    HEARTBEAT_MISSED = "HEARTBEAT_MISSED"
    EXTERNAL = "EXTERNAL"


DEFAULT_TYPE_SEVERITY: dict[str, Severity] = {
    AlertType.SLA_BREACH: Severity.HIGH,
    AlertType.TICKET_ESCALATED: Severity.MEDIUM,
    AlertType.DEVICE_OFFLINE: Severity.HIGH,
    AlertType.DEVICE_SPOOF: Severity.CRITICAL,
    AlertType.GEOFENCE_BREACH: Severity.MEDIUM,
    AlertType.ATTENDANCE_MISSING: Severity.LOW,
    AlertType.ATTENDANCE_ANOMALY: Severity.MEDIUM,
    AlertType.SYNC_DEGRADED: Severity.MEDIUM,
    AlertType.SECURITY_ANOMALY: Severity.CRITICAL,
    AlertType.WORK_ORDER_OVERDUE: Severity.MEDIUM,
    AlertType.HEARTBEAT_MISSED: Severity.HIGH,
    AlertType.EXTERNAL: Severity.MEDIUM,
}


class Capability(StrEnum):
    VIEW = "noc:view"
    VIEW_ALL_CLIENTS = "noc:view_all_clients"
    VIEW_CLIENT = "noc:view_client"
    VIEW_ASSIGNED_SITES = "noc:view_assigned_sites"
    ACK_ALERTS = "noc:ack_alerts"
    ESCALATE = "noc:escalate"
    ASSIGN_INCIDENTS = "noc:assign_incidents"
    CONFIGURE = "noc:configure"
    EXPORT = "noc:export"
    MANAGE_MAINTENANCE = "noc:manage_maintenance"
    AUDIT_VIEW = "noc:audit_view"
    VIEW_PII = "noc:view_pii"
    INGEST = "noc:ingest"


class IncidentState(StrEnum):
    NEW = "NEW"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    ASSIGNED = "ASSIGNED"
    IN_PROGRESS = "IN_PROGRESS"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"


class AuditAction(StrEnum):
    ACKNOWLEDGE = "ACKNOWLEDGE"
    ASSIGN = "ASSIGN"
    ESCALATE = "ESCALATE"
    RESOLVE = "RESOLVE"
    SUPPRESS = "SUPPRESS"
    SHELVE = "SHELVE"
    UNSHELVE = "UNSHELVE"
    FLAP_SETTLED = "FLAP_SETTLED"
    """A flapping alert's key went quiet and it still fires: an ordinary alert again."""
    INCIDENT_CREATE = "INCIDENT_CREATE"
    INCIDENT_ACKNOWLEDGE = "INCIDENT_ACKNOWLEDGE"
    INCIDENT_ASSIGN = "INCIDENT_ASSIGN"
    INCIDENT_START = "INCIDENT_START"
    INCIDENT_RESOLVE = "INCIDENT_RESOLVE"
    INCIDENT_CLOSE = "INCIDENT_CLOSE"
    INCIDENT_ESCALATE = "INCIDENT_ESCALATE"
    INCIDENT_LINK = "INCIDENT_LINK"
    """Alerts joined an open incident (a correlation rule's)."""
    MAINTENANCE_CREATE = "MAINTENANCE_CREATE"
    MAINTENANCE_UPDATE = "MAINTENANCE_UPDATE"
    MAINTENANCE_DELETE = "MAINTENANCE_DELETE"
    EXPORT_DATA = "EXPORT_DATA"
    READ_ALERTS = "READ_ALERTS"
    """An integration-style read of alerts (``GET /api/v2/alerts``)."""
    VIEW_SENSITIVE = "VIEW_SENSITIVE"
    CONFIG_CHANGE = "CONFIG_CHANGE"
    UNAUTHORIZED_ACCESS = "UNAUTHORIZED_ACCESS"
    TOKEN_ISSUED = "TOKEN_ISSUED"
    TOKEN_REVOKED = "TOKEN_REVOKED"


class BackpressureLevel(StrEnum):
    NORMAL = "NORMAL"
    ELEVATED = "ELEVATED"
    CRITICAL = "CRITICAL"
