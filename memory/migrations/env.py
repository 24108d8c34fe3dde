"""Alembic environment: migrations run on the connection quantpilot hands over."""

from alembic import context

from memory.models import whole_schema

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=whole_schema(), compare_type=True)
with context.begin_transaction():
    context.run_migrations()
