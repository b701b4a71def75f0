"""An incident's escalation (SPEC section 7, issue 14): the level an
operator raised it to, who it went to and when (``POST
/api/noc/incidents/{id}/escalate``, as an alert's manual escalation).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(
            sa.Column("escalation_level", sa.Integer, nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("escalated_to", sa.String(128), nullable=True))
        batch.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("escalated_at")
        batch.drop_column("escalated_to")
        batch.drop_column("escalation_level")
