"""Is the database's schema current? Answered without importing alembic, on every connection.

``connect`` used to run alembic's ``upgrade`` check each time a process opened the database:
importing alembic and loading every migration script costs ~0.1-0.3 s of every command's start-up.
The head revisions are read here from the version files' plain ``revision = "…"`` and
``down_revision = …`` lines, and the stored ones from ``alembic_version``; only when they differ
(or a file does not say its revisions plainly) does the caller need alembic.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import text

VERSIONS = Path(__file__).with_name("migrations") / "versions"
_REVISION = re.compile(r'^revision\s*=\s*"([^"]+)"\s*$', re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*=\s*(.+)$", re.MULTILINE)


def declared_heads(versions: Path = VERSIONS) -> str | None:
    """The head revisions of the version files, comma-joined and sorted (as ``migrate.head_revision``
    gives them), or None when a file does not declare its revisions as plain literals."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        source = path.read_text()
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        parents.update(re.findall(r"""["']([^"']+)["']""", down.group(1)))
    return ",".join(sorted(revisions - parents)) or None


def schema_is_current(database) -> bool:
    """True when the stored revisions are exactly the declared heads (False if unsure)."""
    heads = declared_heads()
    if heads is None:
        return False
    with database.engine.connect() as conn:
        if conn.execute(text("SELECT to_regclass('alembic_version')")).scalar() is None:
            return False
        stored = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return ",".join(sorted(stored)) == heads
