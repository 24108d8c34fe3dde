"""The ``quantpilot`` command. Start-up stays fast: each command imports what it needs inside."""

from __future__ import annotations

import atexit
import copy
import gc
import os
import sys

import typer

from api.commands import (
    approvals_cmd,
    audit_cmd,
    breaker_cmd,
    chat_cmd,
    config_cmd,
    data_cmd,
    db_cmd,
    demo_cmd,
    eval_cmd,
    indicators_cmd,
    mcp_cmd,
    orders_cmd,
    paper_cmd,
    research_cmd,
    research_server_cmd,
    risk_cmd,
    runs_cmd,
    serve_cmd,
    threads_cmd,
    usage_cmd,
    users_cmd,
)
from api.slack import commands as slack_cmd
from errors import QuantpilotError

# Plain help (click's): option names are never cut at 80 columns, descriptions wrap under them.
typer.core.HAS_RICH = False

app = typer.Typer(
    name="quantpilot",
    help="quantpilot — an agentic trading assistant with human approvals (paper trading by default).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(db_cmd.app, name="db")
app.add_typer(data_cmd.app, name="data")
app.add_typer(research_cmd.strategies_app, name="strategies")
app.add_typer(indicators_cmd.indicators_app, name="indicators")
app.add_typer(runs_cmd.runs_app, name="runs")
app.add_typer(research_cmd.backtest_app, name="backtest")
app.command("walkforward")(research_cmd.walkforward)
app.command("montecarlo")(research_cmd.montecarlo)
app.command("optimize")(research_cmd.optimize)
app.add_typer(research_server_cmd.app, name="research-server")
app.add_typer(users_cmd.app, name="users")
app.command("serve")(serve_cmd.serve)
app.add_typer(risk_cmd.app, name="risk")
risk_cmd.app.add_typer(breaker_cmd.app, name="reset-breaker")
app.add_typer(orders_cmd.app, name="orders")
# the top-level spellings of the operator commands (the same functions as under `orders`)
app.add_typer(orders_cmd.kill_app, name="kill-switch")
app.command("positions")(orders_cmd.positions)
app.command("reconcile")(orders_cmd.reconcile)
app.command("summary")(orders_cmd.summary)
app.add_typer(paper_cmd.app, name="paper")
app.add_typer(eval_cmd.app, name="eval")
app.command("mcp")(mcp_cmd.mcp)
app.add_typer(slack_cmd.app, name="slack")
app.command("login")(users_cmd.login)
app.command("logout")(users_cmd.logout)
app.command("whoami")(users_cmd.whoami)
users_cmd.app.command("link-slack")(slack_cmd.link_slack)
users_cmd.app.command("unlink-slack")(slack_cmd.unlink_slack)
users_cmd.app.command("slack-links")(slack_cmd.slack_links)
app.add_typer(approvals_cmd.app, name="approvals")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(threads_cmd.app, name="threads")
app.command("chat")(chat_cmd.chat)
app.command("usage")(usage_cmd.usage)
app.command("demo")(demo_cmd.demo)

_state = {"debug": False}
_INTERRUPTED = 130  # the exit code of a command stopped by Ctrl-C
_YOUNG_GENERATION = 50_000  # allocations between collections of the youngest generation (Python's default: 700)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
) -> None:
    _state["debug"] = debug or os.environ.get("QUANTPILOT_DEBUG") == "1"
    _configure_runtime()  # here, not in main(): `quantpilot --help` and a usage error need none of it


def _configure_runtime() -> None:
    """Settings every command shares: log records redacted, numba's kernel cache under QUANTPILOT_HOME, and an
    embedded database that stays up between commands (like a daemon; `quantpilot db stop` ends it)."""
    from guardrails.redaction import install_log_redaction

    install_log_redaction()
    os.environ.setdefault("QUANTPILOT_DB_KEEP_RUNNING", "true")
    if "NUMBA_CACHE_DIR" not in os.environ:
        from config import get_settings

        os.environ["NUMBA_CACHE_DIR"] = str(get_settings().numba_cache_dir)


def _app_for(args: list[str]) -> typer.Typer:
    """The app to run ``args`` with: when they start with a command's name, a copy of ``app`` holding that command
    alone (with the root options and callback). Click builds every command's options and types before it parses a
    word, ~40 ms for the hundred commands; a command's output, help and errors do not depend on its siblings.
    Anything else (root options, ``--help``, an unknown name) runs the whole app."""
    if not args or args[0].startswith("-"):
        return app
    groups = [g for g in app.registered_groups if g.name == args[0]]
    commands = [c for c in app.registered_commands if c.name == args[0]]
    if len(groups) + len(commands) != 1:
        return app
    one = copy.copy(app)
    one.registered_groups, one.registered_commands = groups, commands
    return one


def main() -> None:
    """Entry point, and the one place errors become output: every error is one line on stderr with exit code 2
    (bad usage, bad input, a refusal, an unexpected failure; ``--debug`` shows the traceback), interruption 130;
    a command's own non-zero answer (``reconcile`` finding a discrepancy) keeps its code."""
    # When the process ends, the interpreter's last act would be a full collection over everything the command
    # loaded (modules, ORM mappers, numba's typing tables, pandas), ~0.1-0.2 s of a read command's CPU and up to 1 s
    # of the grid command's wall after its answer; frozen at exit, those objects go back to the OS with the process.
    # An exit handler, not a `finally`: an in-process caller (the tests' CLI runner) keeps collecting its garbage.
    atexit.unregister(gc.freeze)  # once, however many commands run in this process
    atexit.register(gc.freeze)
    _main()


# Commands that answer and exit within seconds (and `chat --once`). Start-up allocates hundreds of thousands of
# long-lived objects (modules, classes, ORM mappers) that the cyclic collector scans again and again, and it frees
# next to nothing for such a command: without it `approvals approve` took 1.38 s instead of 1.50 s and the demo
# 10.4 s instead of 11.3 s, their peak RSS 0-4 MB higher (grid, walk-forward, chat --once: the same RSS). Whatever
# cycles they leave go back with the process. Commands that serve or run long (serve, chat, mcp, slack, paper,
# eval, threads) keep the collector, with a larger young generation (cycles are freed, just less often).
_ANSWER_AND_EXIT = frozenset({
    "approvals", "audit", "backtest", "config", "data", "db", "demo", "indicators", "kill-switch", "login",
    "logout", "montecarlo", "optimize", "orders", "positions", "reconcile", "research-server", "risk", "runs",
    "strategies", "summary", "usage", "users", "walkforward", "whoami"})


def answers_and_exits(args: list[str]) -> bool:
    """True when ``args`` (after ``quantpilot``) name a command that answers and exits (or only help/usage)."""
    words = [a for a in args if not a.startswith("-")]
    if not words:
        return True
    return "--once" in args if words[0] == "chat" else words[0] in _ANSWER_AND_EXIT


def _main() -> None:
    short = answers_and_exits(sys.argv[1:])
    if short:
        gc.disable()
    else:
        gc.set_threshold(_YOUNG_GENERATION, *gc.get_threshold()[1:])
    try:
        _run()
    finally:
        if short:
            gc.enable()  # for an in-process caller (the tests' CLI runner); a real process exits here


def _run() -> None:
    # pydantic looks for plugins in every installed package's entry points when it builds its first validator
    # (importlib.metadata over the whole venv: 30-50 ms of each command); quantpilot uses none. A person who wants
    # one in the CLI sets PYDANTIC_DISABLE_PLUGINS themselves (an empty value loads them all).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        code = _app_for(sys.argv[1:])(standalone_mode=False)
    except (KeyboardInterrupt, typer.Abort):
        from api.output import print_error  # the error paths only: `--help` needs no Rich and no redaction

        print_error("interrupted")
        sys.exit(_INTERRUPTED)
    except typer.TyperException as exc:  # usage: an unknown option, a missing argument, a value of the wrong type
        from api.output import console, print_error

        if type(exc).__name__ == "NoArgsIsHelpError":  # a group named without a command: its help
            console.print(exc.format_message(), highlight=False, markup=False)
            sys.exit(2)
        where = getattr(getattr(exc, "ctx", None), "command_path", None)
        print_error(exc.format_message() + (f" (see `{where} --help`)" if where else ""))
        sys.exit(2)
    except QuantpilotError as exc:
        if _state["debug"]:
            raise
        from api.output import print_error

        print_error(str(exc).splitlines()[0] if "\n" not in str(exc) else str(exc))
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a user never sees a traceback
        if _state["debug"]:
            raise
        from api.output import print_error

        print_error(f"unexpected {exc.__class__.__name__}: {exc} (run with --debug for details)")
        sys.exit(2)
    if code == _INTERRUPTED:  # typer turns Ctrl-C inside a command into this exit code, silently
        from api.output import print_error

        print_error("interrupted")
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":
    main()
