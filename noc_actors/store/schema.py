"""The tables of the NOC, as SQLAlchemy Core ``Table`` objects.

This module describes the schema for queries; the DDL itself lives in the
Alembic migrations (``migrations/versions``), which are the single source of
truth for what a database holds. A test compares the two so they never drift.

Tenancy is enforced by the database where it can be: rows that point at a
client, user, site or incident of a tenant use composite foreign keys on
``(tenant_id, <ref>)``, so a row can never reference another tenant's object.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.schema import SchemaItem

from noc_actors.store.types import UTCDateTime, json_type

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

ID = 128  # the longest id the API accepts (domain.events.ID_MAX)
OPEN_STATUS_SQL = "status IN ('NEW', 'ACKNOWLEDGED', 'ASSIGNED', 'ESCALATED')"
ALERT_STATUSES_SQL = (
    "status IN ('NEW', 'ACKNOWLEDGED', 'ASSIGNED', 'ESCALATED', 'RESOLVED', 'SUPPRESSED')"
)
SEVERITIES_SQL = "severity IN ('INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL')"


def _ts(name: str, nullable: bool = True) -> Column[datetime]:
    return Column(name, UTCDateTime(), nullable=nullable)


def _tenant_fk() -> Column[str]:
    return Column("tenant_id", String(ID), ForeignKey("tenants.id"), nullable=False)


def _client_fk(nullable: bool = False) -> list[SchemaItem]:
    return [
        Column("client_id", String(ID), nullable=nullable),
        ForeignKeyConstraint(["tenant_id", "client_id"], ["clients.tenant_id", "clients.id"]),
    ]


def _user_fk(column: str) -> list[SchemaItem]:
    return [
        Column(column, String(ID), nullable=True),
        ForeignKeyConstraint(["tenant_id", column], ["users.tenant_id", "users.id"]),
    ]


tenants = Table(
    "tenants",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("policy", json_type(), nullable=False),
    _ts("created_at", nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(),
    Column("display_name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("phone", String(64)),
    Column("is_admin", Boolean, nullable=False),
    Column("capabilities", json_type(), nullable=False),
    Column("client_ids", json_type(), nullable=False),
    Column("site_ids", json_type(), nullable=False),
    _ts("created_at", nullable=False),
    UniqueConstraint("tenant_id", "email"),
    UniqueConstraint("tenant_id", "id"),
)

clients = Table(
    "clients",
    metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(),
    Column("name", String(200), nullable=False),
    Column("enabled", Boolean, nullable=False),
    *_user_fk("owner_user_id"),
    _ts("created_at", nullable=False),
    UniqueConstraint("tenant_id", "name"),
    UniqueConstraint("tenant_id", "id"),
)

sites = Table(
    "sites",
    metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(),
    *_client_fk(),
    Column("parent_id", String(ID)),
    Column("name", String(200), nullable=False),
    Column("lat", Float),
    Column("lon", Float),
    Column("geofence_radius_m", Float),
    *_user_fk("oncall_user_id"),
    *_user_fk("incharge_user_id"),
    ForeignKeyConstraint(["tenant_id", "parent_id"], ["sites.tenant_id", "sites.id"]),
    UniqueConstraint("tenant_id", "id"),
    Index(None, "tenant_id", "client_id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(),
    *_user_fk("user_id"),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    *_client_fk(nullable=True),
    Column("capabilities", json_type()),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    _ts("created_at", nullable=False),
    _ts("expires_at"),
    _ts("revoked_at"),
    _ts("last_used_at"),
    CheckConstraint("(kind = 'user' AND user_id IS NOT NULL) OR kind = 'integration'", name="kind"),
    Index(None, "tenant_id"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(),
    *_client_fk(),
    Column("site_id", String(ID)),
    Column("alert_type", String(64), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("entity_type", String(64)),
    Column("entity_id", String(255)),
    Column("metadata", json_type(), nullable=False),
    Column("dedup_key", String(300), nullable=False),
    Column("correlation_id", String(ID)),
    Column("suppressed_count", Integer, nullable=False),
    _ts("first_seen", nullable=False),
    _ts("last_seen", nullable=False),
    Column("source", String(64), nullable=False),
    _ts("acknowledged_at"),
    Column("acknowledged_by", String(ID)),
    _ts("assigned_at"),
    Column("assigned_to", String(ID)),
    _ts("escalated_at"),
    Column("escalated_to", String(ID)),
    Column("escalation_level", Integer, nullable=False),
    Column("escalation_fence", Integer, nullable=False, server_default=text("0")),
    _ts("resolved_at"),
    Column("resolved_by", String(ID)),
    Column("resolution_notes", Text),
    Column("suppression_reason", Text),
    Column("time_to_ack", Float),
    Column("time_to_resolve", Float),
    Column("flapping", String(16)),
    Column("flap_count", Integer, nullable=False, server_default=text("0")),
    _ts("shelved_until"),
    Column("shelved_by", String(ID)),
    CheckConstraint(ALERT_STATUSES_SQL, name="status"),
    CheckConstraint(SEVERITIES_SQL, name="severity"),
    Index(None, "tenant_id", "status"),
    Index(None, "tenant_id", "client_id", "first_seen"),
    Index(None, "tenant_id", "first_seen", "id"),
    Index(None, "tenant_id", "correlation_id"),
    Index(None, "tenant_id", "severity", "status"),
    Index(
        "uq_alerts_open_dedup_key",
        "tenant_id",
        "dedup_key",
        unique=True,
        postgresql_where=text(OPEN_STATUS_SQL),
        sqlite_where=text(OPEN_STATUS_SQL),
    ),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(),
    *_client_fk(),
    Column("site_id", String(ID)),
    Column("title", String(500), nullable=False),
    Column("description", Text),
    Column("severity", String(16), nullable=False),
    Column("priority", String(16)),
    Column("state", String(16), nullable=False),
    Column("assignee", String(ID)),
    _ts("created_at", nullable=False),
    _ts("acknowledged_at"),
    _ts("assigned_at"),
    _ts("resolved_at"),
    _ts("closed_at"),
    _ts("sla_target"),
    Column("runbook_url", Text),
    Column("resolution_notes", Text),
    Column("created_by", String(ID)),
    Column("escalation_level", Integer, nullable=False, server_default=text("0")),
    Column("escalated_to", String(ID)),
    _ts("escalated_at"),
    Column("source", String(64), nullable=False, server_default="manual"),
    UniqueConstraint("tenant_id", "id"),
    Index(None, "tenant_id", "state"),
    Index(None, "tenant_id", "created_at", "id"),
)

incident_alerts = Table(
    "incident_alerts",
    metadata,
    Column("incident_id", String(ID), primary_key=True),
    Column("alert_id", String(ID), ForeignKey("alerts.id"), primary_key=True),
    Column("tenant_id", String(ID), nullable=False),
    ForeignKeyConstraint(
        ["tenant_id", "incident_id"],
        ["incidents.tenant_id", "incidents.id"],
        ondelete="CASCADE",
    ),
    Index(None, "alert_id"),
)

inhibit_rules = Table(
    "inhibit_rules",
    metadata,
    _tenant_fk(),
    Column("id", String(ID), nullable=False),
    Column("name", String(200), nullable=False),
    Column("source_matchers", json_type(), nullable=False),
    Column("target_matchers", json_type(), nullable=False),
    Column("equal", json_type(), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_by", String(ID)),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
)
"""A tenant's inhibit rules (``domain.inhibition``), matchers as amtool
strings. A row with the id of a shipped default rule replaces it (a
disabled one turns it off)."""

maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(),
    *_client_fk(nullable=True),
    Column("site_id", String(ID)),
    _ts("starts_at", nullable=False),
    _ts("ends_at", nullable=False),
    Column("alert_types", json_type(), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_by", String(ID)),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
    _ts("deleted_at"),
    CheckConstraint("ends_at > starts_at", name="period"),
    Index(None, "tenant_id", "ends_at"),
)


def _snapshot_table(name: str, *, archive: bool) -> Table:
    refs: list[SchemaItem] = (
        [
            Column("tenant_id", String(ID), nullable=False),
            Column("client_id", String(ID), nullable=False),
        ]
        if archive
        else [_tenant_fk(), *_client_fk()]
    )
    return Table(
        name,
        metadata,
        Column("id", String(ID), primary_key=True),
        *refs,
        _ts("window_start", nullable=False),
        _ts("window_end", nullable=False),
        Column("metrics", json_type(), nullable=False),
        _ts("created_at", nullable=False),
        UniqueConstraint("client_id", "window_start"),
        Index(None, "tenant_id", "window_start"),
    )


metric_snapshots = _snapshot_table("metric_snapshots", archive=False)
metric_snapshots_archive = _snapshot_table("metric_snapshots_archive", archive=True)

audit_log = Table(
    "audit_log",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("tenant_id", String(ID), nullable=False),
    Column("actor_id", String(ID)),
    Column("action", String(64), nullable=False),
    Column("entity_type", String(64)),
    Column("entity_id", String(255)),
    Column("metadata", json_type(), nullable=False),
    Column("source_ip", String(64)),
    Column("user_agent", Text),
    Column("correlation_id", String(ID)),
    _ts("at", nullable=False),
    Index(None, "tenant_id", "at", "id"),
    Index(None, "tenant_id", "action", "at"),
)

escalation_policies = Table(
    "escalation_policies",
    metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(),
    *_client_fk(nullable=True),
    Column("name", String(200), nullable=False),
    Column("targets", json_type(), nullable=False),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
    UniqueConstraint("tenant_id", "client_id"),
    Index(
        "uq_escalation_policies_tenant_default",
        "tenant_id",
        unique=True,
        postgresql_where=text("client_id IS NULL"),
        sqlite_where=text("client_id IS NULL"),
    ),
)

dashboard_settings = Table(
    "dashboard_settings",
    metadata,
    Column("user_id", String(ID), primary_key=True),
    Column("tenant_id", String(ID), nullable=False),
    Column("settings", json_type(), nullable=False),
    _ts("updated_at", nullable=False),
    ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"]),
)

client_live_state = Table(
    "client_live_state",
    metadata,
    Column("client_id", String(ID), primary_key=True),
    Column("tenant_id", String(ID), nullable=False),
    Column("state", json_type(), nullable=False),
    _ts("updated_at", nullable=False),
    ForeignKeyConstraint(["tenant_id", "client_id"], ["clients.tenant_id", "clients.id"]),
)

client_placement = Table(
    "client_placement",
    metadata,
    Column("client_id", String(ID), ForeignKey("clients.id"), primary_key=True),
    Column("placement", String(16), nullable=True),
    Column("host", String(200), nullable=True),
    _ts("updated_at", nullable=False),
    Column("resource", String(64), nullable=True),
    CheckConstraint("placement IN ('pooled', 'dedicated')", name="placement"),
    Index(None, "host"),
)
"""Where each client's aggregate lives (migration 0004): ``placement`` as
asked (NULL: ``Settings.placement``), ``host`` the actor it was put in;
``resource`` (0005) the Ray resource a dedicated client is pinned to (NULL:
``Settings.dedicated_resource``)."""

access_epoch = Table(
    "access_epoch",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("epoch", BigInteger, nullable=False),
    CheckConstraint("id = 1", name="one_row"),
)
"""One counter bumped by database triggers whenever tokens, users, clients,
sites or tenants change (migration 0003): what Serve replicas check their
access caches against."""

ingest_batches = Table(
    "ingest_batches",
    metadata,
    Column("client_id", String(ID), primary_key=True),
    Column("batch_key", String(200), primary_key=True),
    Column("tenant_id", String(ID), nullable=False),
    Column("report", json_type(), nullable=False),
    _ts("created_at", nullable=False),
    ForeignKeyConstraint(["tenant_id", "client_id"], ["clients.tenant_id", "clients.id"]),
    Index(None, "created_at"),
)
"""Answers of ingest batches sent with an ``Idempotency-Key``, written in the
same transaction as the batch: a retried batch gets the stored answer and is
not applied twice. Kept a day."""

# --- notifications (migration 0006) ----------------------------------------------

CHANNELS_SQL = "channel IN ('webhook', 'slack', 'email', 'pagerduty')"

contact_points = Table(
    "contact_points",
    metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(),
    *_user_fk("user_id"),
    Column("name", String(200), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("config", json_type(), nullable=False),
    Column("secret", Text),
    Column("min_severity", String(16), nullable=False),
    Column("max_severity", String(16)),
    Column("delay_s", Integer, nullable=False),
    Column("send_resolved", Boolean, nullable=False),
    Column("enabled", Boolean, nullable=False),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
    CheckConstraint(CHANNELS_SQL, name="channel"),
    CheckConstraint(
        "min_severity IN ('INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL')", name="min_severity"
    ),
    UniqueConstraint("tenant_id", "name"),
    UniqueConstraint("tenant_id", "id"),
)
"""Where notifications go: a user's (``user_id``) or the tenant's; the
channel's settings in ``config``, its secrets encrypted in ``secret``."""

notices = Table(
    "notices",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("tenant_id", String(ID), nullable=False),
    Column("client_id", String(ID), nullable=False),
    Column("alert_id", String(ID), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("level", Integer, nullable=False),
    Column("target", String(ID)),
    Column("severity", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    _ts("lease_until"),
    _ts("created_at", nullable=False),
    CheckConstraint("kind IN ('escalation', 'resolved')", name="kind"),
    CheckConstraint("state IN ('pending', 'planned')", name="state"),
    UniqueConstraint("alert_id", "kind", "level"),
    Index(None, "state", "created_at"),
)
"""The outbox: one row per escalation level and per resolution of an
escalated alert, written in the transaction that stores it (the unique key
is the fencing token: one notice per level, whatever replays)."""

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column(
        "notice_id",
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("notices.id"),
        nullable=False,
    ),
    Column("tenant_id", String(ID), nullable=False),
    Column("alert_id", String(ID), nullable=False),
    Column("contact_id", String(ID), nullable=False),
    Column("contact_name", String(200), nullable=False),
    Column("user_id", String(ID)),
    Column("channel", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("level", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    _ts("next_at", nullable=False),
    _ts("lease_until"),
    Column("last_error", Text),
    _ts("created_at", nullable=False),
    _ts("done_at"),
    CheckConstraint("state IN ('pending', 'sent', 'failed', 'skipped')", name="state"),
    UniqueConstraint("notice_id", "contact_id"),
    Index(None, "state", "next_at"),
    Index(None, "tenant_id", "alert_id"),
)
"""One notice to one contact point: the unit that is sent, retried and
logged; its id is the ``Idempotency-Key`` a receiver sees on every try. The
contact point's name is kept: the log outlives a deleted contact point."""

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("delivery_id", String(ID), ForeignKey("deliveries.id"), nullable=False),
    Column("tenant_id", String(ID), nullable=False),
    Column("alert_id", String(ID), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("latency_ms", Float, nullable=False),
    _ts("at", nullable=False),
    Index(None, "tenant_id", "alert_id", "at"),
    Index(None, "tenant_id", "at", "id"),
)
"""Every try of every delivery: the delivery log."""

ack_links = Table(
    "ack_links",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("tenant_id", String(ID), nullable=False),
    Column("alert_id", String(ID), nullable=False),
    Column("client_id", String(ID), nullable=False),
    Column("user_id", String(ID)),
    Column("delivery_id", String(ID), ForeignKey("deliveries.id"), nullable=False),
    _ts("expires_at", nullable=False),
    _ts("used_at"),
)
"""Acknowledge links sent in notifications: the token's SHA-256 only,
working once and until ``expires_at``."""

oncall_schedules = Table(
    "oncall_schedules",
    metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(),
    *_client_fk(nullable=True),
    Column("site_id", String(ID)),
    ForeignKeyConstraint(["tenant_id", "site_id"], ["sites.tenant_id", "sites.id"]),
    Column("name", String(200), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("layers", json_type(), nullable=False),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
    CheckConstraint("site_id IS NULL OR client_id IS NOT NULL", name="site_of_client"),
    UniqueConstraint("tenant_id", "name"),
    UniqueConstraint("tenant_id", "id"),
)
"""Who is on call (``domain.oncall``): tenant-wide (no client), a client's,
or a site's; its rotation layers as JSON (``oncall.layers_json``)."""

oncall_overrides = Table(
    "oncall_overrides",
    metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(),
    Column("schedule_id", String(ID), nullable=False),
    ForeignKeyConstraint(
        ["tenant_id", "schedule_id"],
        ["oncall_schedules.tenant_id", "oncall_schedules.id"],
        ondelete="CASCADE",
    ),
    Column("user_id", String(ID), nullable=False),
    ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"]),
    _ts("start_at", nullable=False),
    _ts("end_at", nullable=False),
    Column("note", String(500), nullable=False),
    Column("created_by", String(ID), nullable=False),
    _ts("created_at", nullable=False),
    CheckConstraint("end_at > start_at", name="window"),
    Index("ix_oncall_overrides_schedule_id_end_at", "schedule_id", "end_at"),
)
"""A user covering a window of a schedule (wins over its layers)."""
