"""Where each client's aggregate is hosted: in a shared pool actor
(``noc:pool:<n>``, many clients per process) or in its own actor
(``noc:aggregator:<client_id>``).

``placement`` is what the operator asked for (NULL: the system default,
``Settings.placement``); ``host`` is the actor the supervisor put the client
in. The row is the placement directory's hard state: a restarted supervisor
or pool finds each client where it was, so one client never has two hosts.
It is a table of its own so that placing a client does not bump the access
epoch (which watches ``clients``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "client_placement",
        sa.Column("client_id", sa.String(128), nullable=False),
        sa.Column("placement", sa.String(16), nullable=True),
        sa.Column("host", sa.String(200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name="fk_client_placement_client_id_clients"
        ),
        sa.PrimaryKeyConstraint("client_id", name="pk_client_placement"),
        sa.CheckConstraint(
            "placement IN ('pooled', 'dedicated')", name="ck_client_placement_placement"
        ),
    )
    op.create_index("ix_client_placement_host", "client_placement", ["host"])


def downgrade() -> None:
    op.drop_index("ix_client_placement_host", table_name="client_placement")
    op.drop_table("client_placement")
