"""Who opened an incident (issue 14, automatic incidents): ``manual`` for an
operator's, ``rule:critical_burst`` for one the correlation rule opened
(N CRITICAL alerts of a client within M minutes). Existing rows are
operators'.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(
            sa.Column("source", sa.String(64), nullable=False, server_default="manual")
        )


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("source")
