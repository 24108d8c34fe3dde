"""``quantpilot research-server``: the home's resident research process (``api.research_server``)."""

from __future__ import annotations

import typer

app = typer.Typer(help="The resident research process that `backtest grid` and `walkforward` hand their work to "
                  "(started by the first such command; ends after research_server_idle_minutes idle).",
                  no_args_is_help=True)


def _paths():
    from api.research_server.wire import ServerPaths
    from config import get_settings

    return ServerPaths.for_home(get_settings().home)


def _span(seconds: float) -> str:
    from quant import display

    return display.seconds(seconds) if seconds < 60 else f"{seconds / 60:,.0f} min"


def _describe(info: dict) -> dict:
    from quant import display

    memory = f"{info['resident_mb']:,.0f} MB resident (peak {info.get('peak_mb', 0):,.0f} MB)"
    return {"process": info["pid"], "requests served": display.count(info["served"]),
            "busy": "yes" if info["busy"] else "no", "memory": memory,
            "idle for": _span(info["idle_for_s"]), "ends when idle for": _span(info["idle_s"])}


@app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Whether it runs, its process id, requests served and memory."""
    from api.output import console, print_fields, print_json
    from api.research_server import client
    from config import get_settings

    paths = _paths()
    info = client.status(paths)
    mode = get_settings().research_server
    if as_json:
        print_json({"running": info is not None, "mode": mode, "socket": str(paths.socket), **(info or {})})
        return
    if info is None:
        when = ("it starts after the next `backtest grid` or `walkforward`" if mode == "auto"
                else "QUANTPILOT_RESEARCH_SERVER=off: each command runs in its own process")
        console.print(f"not running ({when})", highlight=False, markup=False)
        return
    print_fields({"state": "running", **_describe(info), "log": str(paths.log)})


@app.command("start")
def start() -> None:
    """Start it now and wait until it has loaded (a few seconds), so the next command is already fast."""
    from api.output import console, print_fields
    from api.research_server import client
    from errors import ConfigError

    paths = _paths()
    if (info := client.status(paths)) is None:
        with console.status("loading the research stack and the kernels…"):
            client.start_resident(paths)
            info = client.wait_until_ready(paths)
    if info is None:
        raise ConfigError(f"the research process did not start; its log is {paths.log}")
    print_fields({"state": "running", **_describe(info)})


@app.command("stop")
def stop() -> None:
    """Stop it (a request it is running finishes first); commands then run in their own process until the next
    one starts it again."""
    from api.output import console
    from api.research_server import client

    pid = client.stop(_paths())
    console.print(f"research process {pid} stopped" if pid else "the research process was not running",
                  highlight=False, markup=False)
