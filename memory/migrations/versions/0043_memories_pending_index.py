"""Every recall first looks for the user's memories still waiting for their embedding (0042); a partial index
over just those rows makes that look cost nothing when none wait, however many memories the user has.

Revision ID: 0043
Revises: 0042
"""

from alembic import op

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_memories_pending ON memories (user_id, id) WHERE embedding IS NULL")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_memories_pending")
