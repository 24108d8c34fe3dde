"""``quantpilot runs``: the research runs stored so far (any interface made them), listed and shown."""

from __future__ import annotations

import typer

runs_app = typer.Typer(help="Research runs: list them with filters, show one.", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Print JSON (every digit, full hashes).")
MAX_SYMBOLS_SHOWN = 3


def _symbols(symbols: list) -> str:
    """Up to three symbols; more: the first two and how many others (the row stays on one line at 80 columns)."""
    if len(symbols) <= MAX_SYMBOLS_SHOWN:
        return ",".join(symbols)
    return ",".join(symbols[:MAX_SYMBOLS_SHOWN - 1]) + f" +{len(symbols) - MAX_SYMBOLS_SHOWN + 1}"


def _headline(kind: str, metrics: dict) -> str:
    """The one number a list shows per run kind."""
    from quant.display import format_metric

    if kind == "montecarlo":
        return "loss " + format_metric("probability_of_loss", metrics.get("probability_of_loss"))
    if kind == "optimize":
        return "exp. " + format_metric("expected_annual_return", metrics.get("expected_annual_return"))
    if kind == "grid":
        name = next(iter(metrics), "sharpe")
        return f"best {format_metric(name, metrics.get(name))}"
    return format_metric("total_return", metrics.get("total_return"))


@runs_app.command("list")
def runs_list(
    kind: str | None = typer.Option(None, "--kind", help="backtest, grid, walkforward, montecarlo or optimize."),
    strategy: str | None = typer.Option(None, "--strategy"),
    status: str | None = typer.Option(None, "--status", help="queued, running, done or failed."),
    symbol: str | None = typer.Option(None, "--symbol", help="Only runs that included this symbol."),
    by: str | None = typer.Option(None, "--by", metavar="USER", help="Only runs this user started."),
    limit: int = typer.Option(20, "--limit", min=1, max=1000),
    as_json: bool = JSON,
) -> None:
    """Runs newest first: kind, strategy, symbols, headline result (or queued/running/failed) and when."""
    from api.cli_auth import cli_actor
    from api.output import print_json, print_table
    from memory.db import connect
    from quant.display import counted, day, format_metric
    from services.research.runs import list_runs, public_run, run_sharpe

    records = list_runs(connect(), cli_actor(required=False), kind=kind, strategy=strategy, status=status,
                        symbol=symbol, created_by=by, limit=limit)
    if as_json:
        print_json([public_run(r) for r in records])
        return
    print_table(f"{counted(len(records), 'run')} (newest first; `runs show RUN` for one)",
                ["run", "kind", "strategy", "symbols", "result", "Sharpe", "created"],
                [(r.id, r.kind, r.strategy or "—", _symbols(r.symbols),
                  _headline(r.kind, r.metrics) if r.status == "done" else r.status,
                  format_metric("sharpe", run_sharpe(r.metrics)), day(r.created_at)) for r in records],
                no_wrap=("created",))


@runs_app.command("show")
def runs_show(run_id: int = typer.Argument(..., help="A run id (see `runs list`)."), as_json: bool = JSON) -> None:
    """One run as it was reported when it finished, with its costs, full hashes and report."""
    from api.cli_auth import cli_actor
    from api.commands import research_tables
    from api.output import print_fields, print_json
    from memory.db import connect
    from quant.display import params_text, timestamp
    from services.research.runs import get_run, public_run, shown_params

    actor = cli_actor(required=False)
    record = get_run(connect(), actor, run_id)
    run = public_run(record)
    if as_json:
        print_json(run)
        return
    summary = run["summary"]
    if record.status == "done" and record.kind == "backtest":
        research_tables.backtest(run)
    elif record.status == "done" and record.kind == "walkforward":
        research_tables.walk_forward(run)
    elif record.status == "done" and record.kind == "grid":
        research_tables.grid({**summary, "run_id": record.id, "config": record.config,
                              "artifacts": record.artifacts})
    elif record.status == "done" and record.kind == "montecarlo":
        from services.research.runs import backtest_costs

        source = get_run(connect(), actor, record.parent_id) if record.parent_id else None
        research_tables.monte_carlo({**summary, "run_id": record.id, "source_run": record.parent_id,
                                     "source_backtest_config": backtest_costs(source) if source else None,
                                     "artifacts": record.artifacts})
    elif record.status == "done" and record.kind == "optimize":
        research_tables.optimization({**summary, "run_id": record.id})
    print_fields({"run": f"{record.id} ({record.kind}, {record.status})", "strategy": record.strategy or "—",
                  "symbols": ", ".join(record.symbols), "parameters": params_text(shown_params(record)),
                  "created": f"{timestamp(record.created_at)} by {record.created_by}",
                  "finished": timestamp(record.finished_at), "config hash": record.config_hash or "—",
                  "data hash": record.data_hash or "—", "code version": record.code_version or "—",
                  **({"error": record.error} if record.error else {})})
