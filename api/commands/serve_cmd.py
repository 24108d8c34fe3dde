"""``quantpilot serve``: the HTTP API under uvicorn (``api.app:create_app``, one or more workers)."""

from __future__ import annotations

import os

import typer


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; 0.0.0.0 exposes the API to the network."),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    workers: int = typer.Option(1, "--workers", min=1, max=32, help="Worker processes."),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
) -> None:
    """Serve the API. The database is started (and migrated) once here; workers join it."""
    import uvicorn
    from sqlalchemy import text

    from api.schemas.settings import ApiSettings
    from errors import ConfigError
    from memory.db import connect

    database = connect()  # starts the embedded server once and exports QUANTPILOT_EMBEDDED_URL to the workers
    with database.engine.connect() as conn:
        max_connections = int(conn.execute(text("SHOW max_connections")).scalar_one())
    database.engine.dispose()
    os.environ["QUANTPILOT_API_WORKERS"] = str(workers)
    os.environ["QUANTPILOT_API_MAX_DB_CONNECTIONS"] = str(max_connections)
    api_settings = ApiSettings()
    size, overflow = api_settings.pool_limits()
    if workers * (size + overflow + 1) > max_connections - api_settings.reserved_db_connections:  # +1: LISTEN
        raise ConfigError(f"{workers} workers x {size + overflow + 1} connections exceed Postgres' max_connections "
                          f"{max_connections} minus {api_settings.reserved_db_connections} reserved; "
                          "use fewer workers or set QUANTPILOT_API_DB_POOL_SIZE")
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers, log_level=log_level,
                server_header=False, proxy_headers=False)
