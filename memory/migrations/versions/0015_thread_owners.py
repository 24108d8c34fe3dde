"""Thread owners: every chat thread of an API user belongs to that user (by id), under the id they chose.

Existing threads keep their key; their client id is that key, and their owner is the user whose name they
carry and who was active when the thread began (none for local CLI threads).

Revision ID: 0015
Revises: 0002
Depends on: 0006 (api_users)
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0002"
branch_labels = None
depends_on = "0006"


def upgrade() -> None:
    op.add_column("chat_threads", sa.Column("owner_id", sa.BigInteger, sa.ForeignKey("api_users.id"), nullable=True))
    op.add_column("chat_threads", sa.Column("client_id", sa.String(64), nullable=True))
    op.execute("UPDATE chat_threads SET client_id = id")
    op.execute(
        "UPDATE chat_threads t SET owner_id = (SELECT u.id FROM api_users u WHERE u.name = t.user_id"
        " AND u.created_at <= t.created_at AND (u.revoked_at IS NULL OR u.revoked_at > t.created_at)"
        " ORDER BY u.created_at DESC LIMIT 1)")
    op.alter_column("chat_threads", "client_id", nullable=False)
    op.create_index("ix_chat_threads_owner_client", "chat_threads", ["owner_id", "client_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_chat_threads_owner_client", table_name="chat_threads")
    op.drop_column("chat_threads", "client_id")
    op.drop_column("chat_threads", "owner_id")
