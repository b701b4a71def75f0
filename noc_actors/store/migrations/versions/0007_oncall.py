"""On-call schedules (issue 13): per tenant, client or site, layers of
rotations as JSON (``domain.oncall.layers_json``), and overrides (a user
covers a window) as rows, so one can be added or removed on its own. And a
contact point's ``max_severity``: a notification rule for one band of
severities ("HIGH → email after 5 minutes", CRITICAL by other means).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 128


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _id(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.String(ID), nullable=nullable)


def _ts(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.add_column("contact_points", sa.Column("max_severity", sa.String(16), nullable=True))
    op.create_table(
        "oncall_schedules",
        _id("id", nullable=False),
        _id("tenant_id", nullable=False),
        _id("client_id"),
        _id("site_id"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("layers", _json(), nullable=False),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_oncall_schedules"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_oncall_schedules_tenant_id_tenants"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "client_id"],
            ["clients.tenant_id", "clients.id"],
            name="fk_oncall_schedules_tenant_id_client_id_clients",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "site_id"],
            ["sites.tenant_id", "sites.id"],
            name="fk_oncall_schedules_tenant_id_site_id_sites",
        ),
        sa.CheckConstraint(
            "site_id IS NULL OR client_id IS NOT NULL", name="ck_oncall_schedules_site_of_client"
        ),
        sa.UniqueConstraint("tenant_id", "name", name="uq_oncall_schedules_tenant_id_name"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_oncall_schedules_tenant_id_id"),
    )
    op.create_table(
        "oncall_overrides",
        _id("id", nullable=False),
        _id("tenant_id", nullable=False),
        _id("schedule_id", nullable=False),
        _id("user_id", nullable=False),
        _ts("start_at", nullable=False),
        _ts("end_at", nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        _id("created_by", nullable=False),
        _ts("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_oncall_overrides"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_oncall_overrides_tenant_id_tenants"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "schedule_id"],
            ["oncall_schedules.tenant_id", "oncall_schedules.id"],
            name="fk_oncall_overrides_tenant_id_schedule_id_oncall_schedules",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name="fk_oncall_overrides_tenant_id_user_id_users",
        ),
        sa.CheckConstraint("end_at > start_at", name="ck_oncall_overrides_window"),
    )
    op.create_index(
        "ix_oncall_overrides_schedule_id_end_at", "oncall_overrides", ["schedule_id", "end_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_oncall_overrides_schedule_id_end_at", table_name="oncall_overrides")
    op.drop_table("oncall_overrides")
    op.drop_table("oncall_schedules")
    with op.batch_alter_table("contact_points") as batch:
        batch.drop_column("max_severity")
