"""Research jobs know whose they are and when they started: the fair scheduler serves the user who waited
longest, and per-user quotas count jobs by user id (not by name or interface).

Revision ID: 0040
Revises: 0005
Depends on: 0006 (api_users)
"""

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0005"
branch_labels = None
depends_on = "0006"


def upgrade() -> None:
    op.add_column("research_runs", sa.Column("user_id", sa.BigInteger, nullable=True))
    op.add_column("research_runs", sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_research_runs_active", "research_runs", ["status"],
                    postgresql_where=sa.text("status IN ('queued', 'running')"))


def downgrade() -> None:
    op.drop_index("ix_research_runs_active", table_name="research_runs")
    op.drop_column("research_runs", "started_at")
    op.drop_column("research_runs", "user_id")
