"""Slack user links and the Slack cards of approval requests.

Revision ID: 0008
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "slack_user_links",
        sa.Column("slack_user_id", sa.String(32), primary_key=True),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("linked_by", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_slack_user_links_user_name", "slack_user_links", ["user_name"])
    op.create_table(
        "slack_approval_messages",
        sa.Column("approval_id", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("ts", sa.String(32)),
        sa.Column("shown_status", sa.String(16), nullable=False),
        sa.Column("posted_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("slack_approval_messages")
    op.drop_index("ix_slack_user_links_user_name", table_name="slack_user_links")
    op.drop_table("slack_user_links")
