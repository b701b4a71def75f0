"""Initial schema: tenancy, alerts, incidents, maintenance, snapshots, audit.

Besides the tables this revision installs the guarantees the database keeps
by itself:

- at most one open alert per (tenant, dedup_key): a partial unique index;
- audit rows are append-only: triggers refuse UPDATE and DELETE (and, on
  PostgreSQL, TRUNCATE) of ``audit_log``.

Frozen on purpose: it does not import ``schema.py``; a test checks that the
migrated database and ``schema.metadata`` agree.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 128
OPEN = "status IN ('NEW', 'ACKNOWLEDGED', 'ASSIGNED', 'ESCALATED')"
STATUSES = "status IN ('NEW', 'ACKNOWLEDGED', 'ASSIGNED', 'ESCALATED', 'RESOLVED', 'SUPPRESSED')"
SEVERITIES = "severity IN ('INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL')"
APPEND_ONLY = "audit_log is append-only"


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _id(name: str = "id", nullable: bool = True, **kw: object) -> sa.Column[str]:
    return sa.Column(name, sa.String(ID), nullable=nullable, **kw)  # type: ignore[arg-type]


def _ts(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _pk(table: str, *cols: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*cols, name=f"pk_{table}")


def _tenant(table: str) -> list[sa.schema.SchemaItem]:
    return [
        _id("tenant_id", nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant_id_tenants"
        ),
    ]


def _ref(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    """Composite (tenant_id, column) -> target(tenant_id, id): same tenant only."""
    return sa.ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{target}.tenant_id", f"{target}.id"],
        name=f"fk_{table}_tenant_id_{column}_{target}",
    )


def _uq(table: str, *cols: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*cols, name=f"uq_{table}_{'_'.join(cols)}")


def _index(table: str, *cols: str) -> None:
    op.create_index(f"ix_{table}_{'_'.join(cols)}", table, list(cols))


def _create_org_tables() -> None:
    op.create_table(
        "tenants",
        _id(nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("policy", _json(), nullable=False),
        _ts("created_at", nullable=False),
        _pk("tenants", "id"),
        _uq("tenants", "name"),
    )
    op.create_table(
        "users",
        _id(nullable=False),
        *_tenant("users"),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("phone", sa.String(64)),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("capabilities", _json(), nullable=False),
        sa.Column("client_ids", _json(), nullable=False),
        sa.Column("site_ids", _json(), nullable=False),
        _ts("created_at", nullable=False),
        _pk("users", "id"),
        _uq("users", "tenant_id", "email"),
        _uq("users", "tenant_id", "id"),
    )
    op.create_table(
        "clients",
        _id(nullable=False),
        *_tenant("clients"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _id("owner_user_id"),
        _ts("created_at", nullable=False),
        _pk("clients", "id"),
        _ref("clients", "owner_user_id", "users"),
        _uq("clients", "tenant_id", "name"),
        _uq("clients", "tenant_id", "id"),
    )
    op.create_table(
        "sites",
        _id(nullable=False),
        *_tenant("sites"),
        _id("client_id", nullable=False),
        _id("parent_id"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("lat", sa.Float()),
        sa.Column("lon", sa.Float()),
        sa.Column("geofence_radius_m", sa.Float()),
        _id("oncall_user_id"),
        _id("incharge_user_id"),
        _pk("sites", "id"),
        _ref("sites", "client_id", "clients"),
        _ref("sites", "oncall_user_id", "users"),
        _ref("sites", "incharge_user_id", "users"),
        _ref("sites", "parent_id", "sites"),
        _uq("sites", "tenant_id", "id"),
    )
    _index("sites", "tenant_id", "client_id")
    op.create_table(
        "api_tokens",
        _id(nullable=False),
        *_tenant("api_tokens"),
        _id("user_id"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        _id("client_id"),
        sa.Column("capabilities", _json()),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        _ts("created_at", nullable=False),
        _ts("expires_at"),
        _ts("revoked_at"),
        _ts("last_used_at"),
        _pk("api_tokens", "id"),
        _ref("api_tokens", "user_id", "users"),
        _ref("api_tokens", "client_id", "clients"),
        sa.CheckConstraint(
            "(kind = 'user' AND user_id IS NOT NULL) OR kind = 'integration'",
            name=op.f("ck_api_tokens_kind"),
        ),
        _uq("api_tokens", "token_hash"),
    )
    _index("api_tokens", "tenant_id")


def _create_alert_tables() -> None:
    op.create_table(
        "alerts",
        _id(nullable=False),
        *_tenant("alerts"),
        _id("client_id", nullable=False),
        _id("site_id"),
        sa.Column("alert_type", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("entity_type", sa.String(64)),
        sa.Column("entity_id", sa.String(255)),
        sa.Column("metadata", _json(), nullable=False),
        sa.Column("dedup_key", sa.String(300), nullable=False),
        _id("correlation_id"),
        sa.Column("suppressed_count", sa.Integer(), nullable=False),
        _ts("first_seen", nullable=False),
        _ts("last_seen", nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        _ts("acknowledged_at"),
        _id("acknowledged_by"),
        _ts("assigned_at"),
        _id("assigned_to"),
        _ts("escalated_at"),
        _id("escalated_to"),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalation_fence", sa.Integer(), nullable=False, server_default=sa.text("0")),
        _ts("resolved_at"),
        _id("resolved_by"),
        sa.Column("resolution_notes", sa.Text()),
        sa.Column("suppression_reason", sa.Text()),
        sa.Column("time_to_ack", sa.Float()),
        sa.Column("time_to_resolve", sa.Float()),
        _pk("alerts", "id"),
        _ref("alerts", "client_id", "clients"),
        sa.CheckConstraint(STATUSES, name=op.f("ck_alerts_status")),
        sa.CheckConstraint(SEVERITIES, name=op.f("ck_alerts_severity")),
    )
    _index("alerts", "tenant_id", "status")
    _index("alerts", "tenant_id", "client_id", "first_seen")
    _index("alerts", "tenant_id", "first_seen", "id")
    _index("alerts", "tenant_id", "correlation_id")
    _index("alerts", "tenant_id", "severity", "status")
    op.create_index(
        "uq_alerts_open_dedup_key",
        "alerts",
        ["tenant_id", "dedup_key"],
        unique=True,
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )
    op.create_table(
        "incidents",
        _id(nullable=False),
        *_tenant("incidents"),
        _id("client_id", nullable=False),
        _id("site_id"),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(16)),
        sa.Column("state", sa.String(16), nullable=False),
        _id("assignee"),
        _ts("created_at", nullable=False),
        _ts("acknowledged_at"),
        _ts("assigned_at"),
        _ts("resolved_at"),
        _ts("closed_at"),
        _ts("sla_target"),
        sa.Column("runbook_url", sa.Text()),
        sa.Column("resolution_notes", sa.Text()),
        _id("created_by"),
        _pk("incidents", "id"),
        _ref("incidents", "client_id", "clients"),
        _uq("incidents", "tenant_id", "id"),
    )
    _index("incidents", "tenant_id", "state")
    _index("incidents", "tenant_id", "created_at", "id")
    op.create_table(
        "incident_alerts",
        _id("incident_id", nullable=False),
        _id("alert_id", nullable=False),
        _id("tenant_id", nullable=False),
        _pk("incident_alerts", "incident_id", "alert_id"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "incident_id"],
            ["incidents.tenant_id", "incidents.id"],
            name="fk_incident_alerts_tenant_id_incident_id_incidents",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name="fk_incident_alerts_alert_id_alerts"
        ),
    )
    _index("incident_alerts", "alert_id")


def _create_operations_tables() -> None:
    op.create_table(
        "maintenance_windows",
        _id(nullable=False),
        *_tenant("maintenance_windows"),
        _id("client_id"),
        _id("site_id"),
        _ts("starts_at", nullable=False),
        _ts("ends_at", nullable=False),
        sa.Column("alert_types", _json(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _id("created_by"),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
        _ts("deleted_at"),
        _pk("maintenance_windows", "id"),
        _ref("maintenance_windows", "client_id", "clients"),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_maintenance_windows_period")),
    )
    _index("maintenance_windows", "tenant_id", "ends_at")
    for table, archive in (("metric_snapshots", False), ("metric_snapshots_archive", True)):
        # The archive outlives clients: it keeps the ids but no foreign keys.
        tenant = [_id("tenant_id", nullable=False)] if archive else _tenant(table)
        client_fk = [] if archive else [_ref(table, "client_id", "clients")]
        op.create_table(
            table,
            _id(nullable=False),
            *tenant,
            _id("client_id", nullable=False),
            _ts("window_start", nullable=False),
            _ts("window_end", nullable=False),
            sa.Column("metrics", _json(), nullable=False),
            _ts("created_at", nullable=False),
            _pk(table, "id"),
            *client_fk,
            _uq(table, "client_id", "window_start"),
        )
        _index(table, "tenant_id", "window_start")
    op.create_table(
        "escalation_policies",
        _id(nullable=False),
        *_tenant("escalation_policies"),
        _id("client_id"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("targets", _json(), nullable=False),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
        _pk("escalation_policies", "id"),
        _ref("escalation_policies", "client_id", "clients"),
        _uq("escalation_policies", "tenant_id", "client_id"),
    )
    op.create_index(
        "uq_escalation_policies_tenant_default",
        "escalation_policies",
        ["tenant_id"],
        unique=True,
        postgresql_where=sa.text("client_id IS NULL"),
        sqlite_where=sa.text("client_id IS NULL"),
    )
    op.create_table(
        "dashboard_settings",
        _id("user_id", nullable=False),
        _id("tenant_id", nullable=False),
        sa.Column("settings", _json(), nullable=False),
        _ts("updated_at", nullable=False),
        _pk("dashboard_settings", "user_id"),
        _ref("dashboard_settings", "user_id", "users"),
    )
    op.create_table(
        "client_live_state",
        _id("client_id", nullable=False),
        _id("tenant_id", nullable=False),
        sa.Column("state", _json(), nullable=False),
        _ts("updated_at", nullable=False),
        _pk("client_live_state", "client_id"),
        _ref("client_live_state", "client_id", "clients"),
    )


def _create_audit_log() -> None:
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        _id("tenant_id", nullable=False),
        _id("actor_id"),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity_type", sa.String(64)),
        sa.Column("entity_id", sa.String(255)),
        sa.Column("metadata", _json(), nullable=False),
        sa.Column("source_ip", sa.String(64)),
        sa.Column("user_agent", sa.Text()),
        _id("correlation_id"),
        _ts("at", nullable=False),
        _pk("audit_log", "id"),
    )
    _index("audit_log", "tenant_id", "at", "id")
    _index("audit_log", "tenant_id", "action", "at")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'restrict_violation'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )


def upgrade() -> None:
    """Create every table, index and database-level guarantee."""
    _create_org_tables()
    _create_alert_tables()
    _create_operations_tables()
    _create_audit_log()


def downgrade() -> None:
    """Drop everything this revision created (audit rows included)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update_delete ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    for table in (
        "audit_log",
        "client_live_state",
        "dashboard_settings",
        "escalation_policies",
        "metric_snapshots_archive",
        "metric_snapshots",
        "maintenance_windows",
        "incident_alerts",
        "incidents",
        "alerts",
        "api_tokens",
        "sites",
        "clients",
        "users",
        "tenants",
    ):
        op.drop_table(table)
