"""Identity: approvals name real users (requester and approver ids), Slack links bind a user id, signed Slack
requests are accepted once, strategies have an owner and keep every version on the ladder.

Revision ID: 0010
Revises: 0002, 0006, 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = ("0002", "0006", "0008")
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("approval_requests", sa.Column("requester_id", sa.BigInteger))
    op.create_index("ix_approval_requests_requester_id", "approval_requests", ["requester_id"])
    op.add_column("approval_decisions", sa.Column("approver_id", sa.BigInteger))
    op.execute("UPDATE approval_requests r SET requester_id = u.id FROM api_users u "
               "WHERE u.name = r.requester AND u.revoked_at IS NULL")
    op.execute("UPDATE approval_decisions d SET approver_id = u.id FROM api_users u "
               "WHERE u.name = d.approver AND u.revoked_at IS NULL")

    # a Slack account acts as a user id, never a name a later user could be given
    op.add_column("slack_user_links", sa.Column("user_id", sa.BigInteger))
    op.execute("UPDATE slack_user_links l SET user_id = u.id FROM api_users u "
               "WHERE u.name = l.user_name AND u.revoked_at IS NULL")
    op.execute("DELETE FROM slack_user_links WHERE user_id IS NULL")
    op.alter_column("slack_user_links", "user_id", nullable=False)
    op.drop_index("ix_slack_user_links_user_name", table_name="slack_user_links")
    op.drop_column("slack_user_links", "user_name")
    op.create_index("ix_slack_user_links_user_id", "slack_user_links", ["user_id"])
    op.create_table(
        "slack_request_replays",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("seen_at", TS, nullable=False, server_default=sa.func.now(), index=True),
    )

    op.add_column("strategies", sa.Column("owner_id", sa.BigInteger))
    op.create_table(
        "strategy_versions",
        sa.Column("strategy_id", sa.String(64), sa.ForeignKey("strategies.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("params", postgresql.JSONB, nullable=False),
        sa.Column("params_hash", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.execute("INSERT INTO strategy_versions (strategy_id, version, name, kind, params, params_hash, stage, "
               "created_by, created_at, updated_at) SELECT id, version, name, kind, params, params_hash, stage, "
               "'system', created_at, updated_at FROM strategies")


def downgrade() -> None:
    op.drop_table("strategy_versions")
    op.drop_column("strategies", "owner_id")
    op.drop_table("slack_request_replays")
    op.drop_index("ix_slack_user_links_user_id", table_name="slack_user_links")
    op.add_column("slack_user_links", sa.Column("user_name", sa.String(64)))
    op.execute("UPDATE slack_user_links l SET user_name = u.name FROM api_users u WHERE u.id = l.user_id")
    op.drop_column("slack_user_links", "user_id")
    op.create_index("ix_slack_user_links_user_name", "slack_user_links", ["user_name"])
    op.drop_column("approval_decisions", "approver_id")
    op.drop_index("ix_approval_requests_requester_id", table_name="approval_requests")
    op.drop_column("approval_requests", "requester_id")
