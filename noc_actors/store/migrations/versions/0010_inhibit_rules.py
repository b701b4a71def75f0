"""Inhibit rules (issue 14, noise control): a tenant's rules as data, as
Alertmanager's ``inhibit_rules`` (source and target matchers as amtool
strings, the ``equal`` label names). The shipped default rule is not a row:
a row with its id replaces it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 128


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "inhibit_rules",
        sa.Column("tenant_id", sa.String(ID), nullable=False),
        sa.Column("id", sa.String(ID), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("source_matchers", _json(), nullable=False),
        sa.Column("target_matchers", _json(), nullable=False),
        sa.Column("equal", _json(), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.String(ID), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_inhibit_rules"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_inhibit_rules_tenant_id_tenants"
        ),
    )


def downgrade() -> None:
    op.drop_table("inhibit_rules")
