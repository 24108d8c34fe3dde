"""Research runs.

Revision ID: 0005
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = postgresql.JSONB


def upgrade() -> None:
    op.create_table(
        "research_runs",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="running"),
        sa.Column("strategy", sa.String(64), index=True),
        sa.Column("symbols", JSON, nullable=False, server_default="[]"),
        sa.Column("params", JSON, nullable=False, server_default="{}"),
        sa.Column("config", JSON, nullable=False, server_default="{}"),
        sa.Column("config_hash", sa.String(64)),
        sa.Column("data_hash", sa.String(64)),
        sa.Column("code_version", sa.String(64)),
        sa.Column("metrics", JSON, nullable=False, server_default="{}"),
        sa.Column("summary", JSON, nullable=False, server_default="{}"),
        sa.Column("artifacts", JSON, nullable=False, server_default="{}"),
        sa.Column("error", sa.Text),
        sa.Column("parent_id", sa.BigInteger, sa.ForeignKey("research_runs.id", ondelete="SET NULL")),
        sa.Column("created_by", sa.String(64), nullable=False, server_default="system"),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("finished_at", TS),
    )


def downgrade() -> None:
    op.drop_table("research_runs")
