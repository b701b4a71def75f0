"""A client's own Ray resource: a dedicated client pinned to the nodes that
offer the custom resource the operator names (``noc client place mall
--dedicated --resource noc_vip``); NULL: its role's resource
(``Settings.dedicated_resource``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("client_placement", sa.Column("resource", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("client_placement") as batch:
        batch.drop_column("resource")
