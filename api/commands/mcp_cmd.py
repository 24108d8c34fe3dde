"""``quantpilot mcp``: serve quantpilot's tools over the Model Context Protocol (stdio or streamable HTTP)."""

from __future__ import annotations

import typer


def mcp(
    transport: str = typer.Option("stdio", "--transport", help="stdio | http (streamable HTTP at /mcp)"),
    host: str = typer.Option("127.0.0.1", "--host", help="HTTP: interface to listen on"),
    port: int = typer.Option(8765, "--port", help="HTTP: port to listen on"),
) -> None:
    """Expose the tools to any MCP client, behind the same guardrails and roles as the agents.

    stdio: the caller is the API user of QUANTPILOT_API_KEY. http: every request needs
    `Authorization: Bearer <API key>`, with the API's limits (failed keys per address, requests per user:
    QUANTPILOT_API_AUTH_FAILURE_LIMIT, QUANTPILOT_API_RATE_LIMIT). Orders still need a stored human approval."""
    from api.mcp_server import BearerGate, build_mcp_server, caller_from_key, product_toolbox, stdio_caller
    from api.schemas.settings import ApiSettings
    from config import get_settings
    from errors import ConfigError
    from memory.db import connect
    from memory.users import UserStore

    if transport not in ("stdio", "http"):
        raise ConfigError(f"unknown transport {transport!r}; use stdio or http", code="invalid_transport")
    settings = get_settings()
    database = connect(settings)
    pepper = ApiSettings().key_pepper
    store = UserStore(database, pepper=pepper.get_secret_value().encode() if pepper else b"")
    toolbox = product_toolbox(settings, database)
    if transport == "stdio":
        import anyio

        server = build_mcp_server(toolbox, stdio_caller(store))
        anyio.run(_serve_stdio, server)
        return
    import uvicorn

    from api.input_hygiene import InputHygieneMiddleware
    from api.security import RequestLimiter
    from services.research.jobs import ResearchJobs
    from services.research.placement import serve_jobs

    # a server: the tools' research runs as jobs in worker processes, never in this process
    runner = ResearchJobs(database, settings=settings)
    runner.recover()
    serve_jobs(database, lambda: runner)
    api_settings = ApiSettings()
    limiter = RequestLimiter(api_settings.rate_limit, api_settings.auth_failure_limit, api_settings.rate_limit_storage)
    server = build_mcp_server(toolbox)
    app = InputHygieneMiddleware(BearerGate(server.streamable_http_app(host=host),
                                            lambda key: caller_from_key(store, key), limiter))
    uvicorn.run(app, host=host, port=port, log_level="warning")


async def _serve_stdio(server) -> None:
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


if __name__ == "__main__":  # `python -m api.commands.mcp_cmd --transport stdio` (what the stdio test spawns)
    typer.run(mcp)
