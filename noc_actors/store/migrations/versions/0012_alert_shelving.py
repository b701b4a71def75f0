"""Shelving (issue 14): an operator hides an alert from the default board
and holds its escalation until a time (``shelved_until``, by
``shelved_by``).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("shelved_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("shelved_by", sa.String(128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("shelved_by")
        batch.drop_column("shelved_until")
