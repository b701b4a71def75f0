"""The access epoch: one counter the database bumps whenever anything that
decides who may do what changes — a token revoked, expired or re-scoped, a
user's capabilities or scope, a client or site added, changed or removed.

Serve replicas cache tokens, principals and each tenant's directory, and read
only this counter per request (no write): a different value drops their
caches, so a change takes effect at the next request however it was made (the
API, the CLI, plain SQL). Writing a token's ``last_used_at`` does not bump it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKEN_COLUMNS = "revoked_at, expires_at, capabilities, client_id, user_id, tenant_id, token_hash"
WATCHED = {
    "api_tokens": f"UPDATE OF {TOKEN_COLUMNS}",
    "users": "UPDATE",
    "clients": "UPDATE",
    "sites": "UPDATE",
    "tenants": "UPDATE",
}
"""Table -> which updates bump the epoch (every table also bumps on DELETE;
all but api_tokens on INSERT too: a new token is simply not cached yet)."""

BUMP = "UPDATE access_epoch SET epoch = epoch + 1 WHERE id = 1"


def _events(table: str) -> list[str]:
    events = [WATCHED[table], "DELETE"]
    if table != "api_tokens":
        events.append("INSERT")
    return events


def upgrade() -> None:
    op.create_table(
        "access_epoch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_access_epoch"),
        sa.CheckConstraint("id = 1", name="ck_access_epoch_one_row"),
    )
    op.execute("INSERT INTO access_epoch (id, epoch) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION noc_bump_access_epoch() RETURNS trigger AS $$ "
            f"BEGIN {BUMP}; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        for table in WATCHED:
            op.execute(
                f"CREATE TRIGGER {table}_access_epoch AFTER {' OR '.join(_events(table))} "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION noc_bump_access_epoch()"
            )
        return
    for table in WATCHED:
        for n, event in enumerate(_events(table)):
            op.execute(
                f"CREATE TRIGGER {table}_access_epoch_{n} AFTER {event} ON {table} "
                f"BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_access_epoch ON {table}")
        op.execute("DROP FUNCTION IF EXISTS noc_bump_access_epoch()")
    else:
        for table in WATCHED:
            for n in range(len(_events(table))):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_access_epoch_{n}")
    op.drop_table("access_epoch")
