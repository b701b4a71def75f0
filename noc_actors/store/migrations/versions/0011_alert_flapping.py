"""Flap detection (issue 14): whether an alert is flapping (its dedup key
keeps resolving and re-opening, so one alert holds the cycles) — null, or
``firing`` / ``resolved`` as its source said last — and how many times its
key opened in the flap.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("flapping", sa.String(16), nullable=True))
        batch.add_column(
            sa.Column("flap_count", sa.Integer, nullable=False, server_default=sa.text("0"))
        )


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("flap_count")
        batch.drop_column("flapping")
