"""md5 of every table's rows, ordered by primary key: two equal digests mean the database did not change.

``table_digests(database)`` covers every ordinary table outside the system schemas (application tables,
the LangGraph checkpoint tables, the migration version table), so a refused request that wrote *anything*
shows up as a differing table name in ``changed_tables(before, after)``.
"""

from __future__ import annotations

from sqlalchemy import text

_TABLES = text("""
SELECT n.nspname AS schema, c.relname AS name,
       coalesce((SELECT array_agg(a.attname::text ORDER BY k.ord)
                 FROM pg_index i
                 CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                 WHERE i.indrelid = c.oid AND i.indisprimary), ARRAY[]::text[]) AS pk
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY 1, 2
""")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_digests(database) -> dict[str, str]:
    """``{"schema.table": md5 of its rows as text, ordered by primary key (row text when it has none)}``."""
    out: dict[str, str] = {}
    with database.engine.connect() as conn:
        for schema, name, pk in conn.execute(_TABLES).all():
            order = ", ".join(f"t.{_quote(c)}" for c in pk) if pk else "t::text"
            # row text breaks ties when a primary key is absent; with one it is already unique
            sql = (f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY {order}), '')) "
                   f"FROM {_quote(schema)}.{_quote(name)} t")
            rows, digest = conn.execute(text(sql)).one()
            out[f"{schema}.{name}"] = f"{rows}:{digest}"
    return out


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Names of tables whose digest differs (or that appeared or vanished) between two snapshots."""
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def rows_containing(database, needle: str) -> dict[str, int]:
    """``{"schema.table": how many rows hold needle}`` over the same tables as ``table_digests``, each row read as
    text (a bytea column, such as a checkpoint blob, reads as hex: look for ``needle.encode().hex()`` there)."""
    found = {}
    with database.engine.connect() as conn:
        for schema, name, _ in conn.execute(_TABLES).all():
            n = conn.execute(text(f"SELECT count(*) FROM {_quote(schema)}.{_quote(name)} t "
                                  "WHERE strpos(t::text, :s) > 0"), {"s": needle}).scalar_one()
            if n:
                found[f"{schema}.{name}"] = n
    return found
