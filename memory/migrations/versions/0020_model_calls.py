"""The usage ledger: one row per chat-model call, by the stored user's id (none for quantpilot's own runs and the
keyless local reader) and the name they had.

Revision ID: 0020
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_calls",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("turn_id", sa.String(64)),
        sa.Column("thread_id", sa.String(128)),
        sa.Column("user_id", sa.BigInteger),
        sa.Column("user_name", sa.String(200)),
        sa.Column("agent", sa.String(32), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("input_tokens", sa.Integer, nullable=False),
        sa.Column("output_tokens", sa.Integer, nullable=False),
        sa.Column("latency_ms", sa.Integer, nullable=False),
        sa.Column("cost_usd", sa.Numeric(18, 8), nullable=False),
        sa.Column("priced", sa.Boolean, nullable=False),
        sa.Column("outcome", sa.String(48), nullable=False),
    )
    op.create_index("ix_model_calls_turn", "model_calls", ["turn_id"])
    op.create_index("ix_model_calls_thread", "model_calls", ["thread_id", "created_at"])
    op.create_index("ix_model_calls_user", "model_calls", ["user_id", "created_at"])
    op.create_index("ix_model_calls_user_name", "model_calls", ["user_name", "created_at"])
    op.create_index("ix_model_calls_created", "model_calls", ["created_at"])


def downgrade() -> None:
    op.drop_table("model_calls")
