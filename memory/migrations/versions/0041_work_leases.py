"""Work leases: one row per chat turn (or MCP tool call) running for a user, on any interface and in any
process, so a per-user limit counts them all. A lease ends when its work ends, or at ``expires_at`` if the
process holding it died.

Revision ID: 0041
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "work_leases",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_work_leases_user_kind", "work_leases", ["user_id", "kind"])


def downgrade() -> None:
    op.drop_index("ix_work_leases_user_kind", table_name="work_leases")
    op.drop_table("work_leases")
