"""Postgres: the embedded server, SQLAlchemy models and Alembic migrations, repositories (bars,
orders, fills, positions, approvals, audit), the pgvector long-term memory and the LangGraph
checkpointer.
"""
