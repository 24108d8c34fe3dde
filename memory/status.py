"""What `db status` reports: the server, its versions, the schema revision, row counts."""

from __future__ import annotations

from sqlalchemy import text

from memory.db import connect
from memory.migrate import current_revision, head_revision
from memory.models import whole_schema


def database_status() -> dict:
    database = connect(migrate=True)
    with database.engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar()
        vector = conn.execute(text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")).scalar()
        tables = {
            name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar()
            for name in sorted(whole_schema().tables)
        }
    return {
        "server": database.origin,
        "url": database.safe_url,
        "postgres_version": version,
        "pgvector_version": vector,
        "migration": current_revision(database),
        "migration_head": head_revision(),
        "tables": tables,
    }
