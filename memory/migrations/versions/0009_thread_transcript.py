"""Thread transcripts: messages archived out of a long thread's checkpointed state.

Revision ID: 0009
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "thread_transcript_messages",
        sa.Column("thread_id", sa.String(128), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("message", JSONB, nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("thread_id", "message_id", name="uq_thread_transcript_message"),
    )


def downgrade() -> None:
    op.drop_table("thread_transcript_messages")
