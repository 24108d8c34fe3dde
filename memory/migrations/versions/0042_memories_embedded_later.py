"""A memory may be stored before its embedding: a process that has not loaded the embedding model (a one-shot
command deciding an approval) stores the text, and the next recall for that user embeds what is pending before
it searches (``memory.long_term``).

Revision ID: 0042
Revises: 0004
"""

from alembic import op

revision = "0042"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("memories", "embedding", nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM memories WHERE embedding IS NULL")
    op.alter_column("memories", "embedding", nullable=False)
