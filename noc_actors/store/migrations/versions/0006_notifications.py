"""Notifications (SPEC section 15): contact points, the notice outbox, the
deliveries and every attempt (the delivery log), and acknowledge links.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 128


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _big() -> sa.types.TypeEngine[Any]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.String(ID), nullable=nullable)


def _ts(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "contact_points",
        _id("id", nullable=False),
        _id("tenant_id", nullable=False),
        _id("user_id"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("config", _json(), nullable=False),
        sa.Column("secret", sa.Text()),
        sa.Column("min_severity", sa.String(16), nullable=False),
        sa.Column("delay_s", sa.Integer(), nullable=False),
        sa.Column("send_resolved", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contact_points"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_contact_points_tenant_id_tenants"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name="fk_contact_points_tenant_id_user_id_users",
        ),
        sa.CheckConstraint(
            "channel IN ('webhook', 'slack', 'email', 'pagerduty')",
            name="ck_contact_points_channel",
        ),
        sa.CheckConstraint(
            "min_severity IN ('INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL')",
            name="ck_contact_points_min_severity",
        ),
        sa.UniqueConstraint("tenant_id", "name", name="uq_contact_points_tenant_id_name"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_contact_points_tenant_id_id"),
    )
    op.create_table(
        "notices",
        sa.Column("id", _big(), autoincrement=True, nullable=False),
        _id("tenant_id", nullable=False),
        _id("client_id", nullable=False),
        _id("alert_id", nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        _id("target"),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _ts("lease_until"),
        _ts("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notices"),
        sa.CheckConstraint("kind IN ('escalation', 'resolved')", name="ck_notices_kind"),
        sa.CheckConstraint("state IN ('pending', 'planned')", name="ck_notices_state"),
        sa.UniqueConstraint("alert_id", "kind", "level", name="uq_notices_alert_id_kind_level"),
    )
    op.create_index("ix_notices_state_created_at", "notices", ["state", "created_at"])
    op.create_table(
        "deliveries",
        _id("id", nullable=False),
        sa.Column("notice_id", _big(), nullable=False),
        _id("tenant_id", nullable=False),
        _id("alert_id", nullable=False),
        _id("contact_id", nullable=False),
        sa.Column("contact_name", sa.String(200), nullable=False),
        _id("user_id"),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_at", nullable=False),
        _ts("lease_until"),
        sa.Column("last_error", sa.Text()),
        _ts("created_at", nullable=False),
        _ts("done_at"),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name="fk_deliveries_notice_id_notices"
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'sent', 'failed', 'skipped')", name="ck_deliveries_state"
        ),
        sa.UniqueConstraint("notice_id", "contact_id", name="uq_deliveries_notice_id_contact_id"),
    )
    op.create_index("ix_deliveries_state_next_at", "deliveries", ["state", "next_at"])
    op.create_index("ix_deliveries_tenant_id_alert_id", "deliveries", ["tenant_id", "alert_id"])
    op.create_table(
        "delivery_attempts",
        sa.Column("id", _big(), autoincrement=True, nullable=False),
        _id("delivery_id", nullable=False),
        _id("tenant_id", nullable=False),
        _id("alert_id", nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("status_code", sa.Integer()),
        sa.Column("error", sa.Text()),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        _ts("at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_attempts"),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], name="fk_delivery_attempts_delivery_id_deliveries"
        ),
    )
    op.create_index(
        "ix_delivery_attempts_tenant_id_alert_id_at",
        "delivery_attempts",
        ["tenant_id", "alert_id", "at"],
    )
    op.create_index(
        "ix_delivery_attempts_tenant_id_at_id", "delivery_attempts", ["tenant_id", "at", "id"]
    )
    op.create_table(
        "ack_links",
        sa.Column("token_hash", sa.String(64), nullable=False),
        _id("tenant_id", nullable=False),
        _id("alert_id", nullable=False),
        _id("client_id", nullable=False),
        _id("user_id"),
        _id("delivery_id", nullable=False),
        _ts("expires_at", nullable=False),
        _ts("used_at"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_ack_links"),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], name="fk_ack_links_delivery_id_deliveries"
        ),
    )


def downgrade() -> None:
    for table in ("ack_links", "delivery_attempts", "deliveries", "notices", "contact_points"):
        op.drop_table(table)
