"""Market data: pgvector extension, instruments, bars, quality reports, schedules.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.create_table(
        "instruments",
        sa.Column("symbol", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200)),
        sa.Column("asset_class", sa.String(32), nullable=False, server_default="equity"),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("closes_only", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "bars",
        sa.Column("symbol", sa.String(32), primary_key=True),
        sa.Column("timeframe", sa.String(8), primary_key=True),
        sa.Column("ts", TS, primary_key=True),
        sa.Column("open", sa.Double),
        sa.Column("high", sa.Double),
        sa.Column("low", sa.Double),
        sa.Column("close", sa.Double, nullable=False),
        sa.Column("volume", sa.Double),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("ingested_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "data_quality_reports",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("symbol", sa.String(32), nullable=False, index=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("n_rows", sa.Integer, nullable=False),
        sa.Column("n_errors", sa.Integer, nullable=False),
        sa.Column("n_warnings", sa.Integer, nullable=False),
        sa.Column("first_ts", TS),
        sa.Column("last_ts", TS),
        sa.Column("issues", postgresql.JSONB, nullable=False, server_default="[]"),
    )
    op.create_table(
        "data_schedules",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("symbols", postgresql.JSONB, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("cron", sa.String(100), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "data_schedule_runs",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column(
            "schedule_id", sa.BigInteger, sa.ForeignKey("data_schedules.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("started_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("finished_at", TS),
        sa.Column("ok", sa.Boolean),
        sa.Column("rows", sa.Integer),
        sa.Column("message", sa.Text),
    )


def downgrade() -> None:
    for table in ("data_schedule_runs", "data_schedules", "data_quality_reports", "bars", "instruments"):
        op.drop_table(table)
