"""Research commands: strategies, backtest run|grid|compare, walkforward, montecarlo, optimize."""

from __future__ import annotations

from pathlib import Path

import typer

from api.commands.cost_options import (
    CAPITAL,
    COMMISSION,
    COMMISSION_BPS,
    COMMISSION_PER_SHARE,
    SLIPPAGE_BPS,
    backtest_costs,
)
from services.research.defaults import (
    GRID_OBJECTIVE,
    MONTE_CARLO_METHOD,
    MONTE_CARLO_PATHS,
    OPTIMIZE_LOOKBACK_DAYS,
    WALK_FORWARD_IN_SAMPLE_DAYS,
    WALK_FORWARD_OUT_OF_SAMPLE_DAYS,
    WALK_FORWARD_WINDOW,
)

backtest_app = typer.Typer(help="Backtests: run one, run a parameter grid, compare runs.", no_args_is_help=True)
strategies_app = typer.Typer(help="Strategies available to backtest and trade.", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print JSON (every digit).")
STRATEGY = typer.Option(..., "--strategy", help="Strategy name (see `strategies list`).")
SYMBOLS = typer.Option(..., "--symbols", metavar="AAPL,MSFT", help="Comma-separated symbols.")
START = typer.Option(None, "--start", metavar="YYYY-MM-DD", help="First session traded.")
END = typer.Option(None, "--end", metavar="YYYY-MM-DD", help="Last session traded.")
GRID = typer.Option(..., "--grid", metavar="NAME=START:STOP:STEP", help="A parameter's values, inclusive, or "
                                                                        "a,b,c (repeatable).")
OBJECTIVE = typer.Option(GRID_OBJECTIVE, "--objective", help="What the grid maximises: sharpe, total_return, "
                                                             "calmar or sortino.")
EXECUTOR = typer.Option("local", "--executor", help="local, process or ray (generic grids; the fused crossover grid "
                                                    "always runs in-process).")
RAY_ADDRESS = typer.Option(None, "--ray-address", help="Ray cluster address for --executor ray (default: start a "
                                                        "local cluster for this command and stop it after).")
OVERFITTING = typer.Option(True, "--overfitting/--no-overfitting",
                           help="Deflated Sharpe and CSCV probability of backtest overfitting (its cost is "
                                "reported beside the grid's).")


def _service(*, acting: bool = True):
    """The research service acting for the signed-in user (``acting``: recording a run needs a trader's key);
    reads work without a key, as the local reader."""
    from api.cli_auth import cli_actor
    from memory.db import connect
    from services.research import ResearchService

    return ResearchService(connect(), actor=cli_actor(required=acting))


def _params(pairs: list[str]) -> dict:
    import json

    from errors import ConfigError

    params = {}
    for pair in pairs:
        if "=" not in pair:
            raise ConfigError(f"--param expects name=value, got {pair!r}")
        key, raw = pair.split("=", 1)
        try:
            params[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            params[key.strip()] = raw
    return params


def _grid(pairs: list[str]) -> dict:
    from errors import ConfigError
    from services.research import parse_range

    grid = {}
    for pair in pairs:
        if "=" not in pair:
            raise ConfigError(f"--grid expects name=start:stop:step, got {pair!r}")
        key, spec = pair.split("=", 1)
        grid[key.strip()] = parse_range(spec.strip())
    return grid


def _symbols(text: str) -> list[str]:
    return [s.strip().upper() for s in text.split(",") if s.strip()]


@strategies_app.command("list")
def strategies_list(as_json: bool = JSON) -> None:
    """Registered strategies with their parameters and defaults."""
    from dataclasses import asdict

    from api.output import print_json, print_table
    from quant.display import params_text
    from quant.strategies.registry import list_strategies

    specs = list_strategies()
    if as_json:
        print_json([asdict(s) for s in specs])
        return
    print_table("strategies", ["name", "defaults", "description"],
                [(s.name, params_text(s.defaults), s.description) for s in specs])


@backtest_app.command("run")
def backtest_run(
    strategy: str = STRATEGY, symbols: str = SYMBOLS, start: str | None = START, end: str | None = END,
    param: list[str] = typer.Option([], "--param", metavar="NAME=VALUE", help="A strategy parameter (repeatable)."),
    engine: str = typer.Option("vectorized", "--engine", help="vectorized or event."),
    sizing: str | None = typer.Option(None, "--sizing", help="all_in, fixed_fraction, volatility_target, "
                                                               "risk_per_trade."),
    capital: float | None = CAPITAL, commission: float | None = COMMISSION,
    commission_per_share: float | None = COMMISSION_PER_SHARE, commission_bps: float | None = COMMISSION_BPS,
    slippage_bps: float | None = SLIPPAGE_BPS,
    report: Path | None = typer.Option(None, "--report", help="Also copy the HTML report here (plotly.min.js "
                                                              "goes beside it)."),
    as_json: bool = JSON,
) -> None:
    """Backtest a strategy; stores the run, its costs, its hashes and an HTML report."""
    from api.commands import research_tables
    from api.output import console, print_json

    config = backtest_costs(capital, commission, commission_per_share, commission_bps, slippage_bps)
    if sizing:
        config["sizing"] = sizing
    with console.status(f"backtesting {strategy} on {symbols}…"):
        run = _service().backtest(strategy, _symbols(symbols), _params(param), start, end, engine=engine,
                                  config=config or None)
    if report and run["artifacts"].get("report"):
        run["artifacts"]["report_copy"] = str(_copy_report(Path(run["artifacts"]["report"]), report))
    if as_json:
        print_json(run)
        return
    research_tables.backtest(run)


def _copy_report(source: Path, target: Path) -> Path:
    """The report at ``target`` with plotly.min.js beside it, so the copy opens offline too."""
    import shutil

    from quant.reports.plotly_bundle import place_plotly

    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    place_plotly(target.parent)
    return target


@backtest_app.command("grid")
def backtest_grid(
    strategy: str = STRATEGY, symbols: str = SYMBOLS, grid: list[str] = GRID, start: str | None = START,
    end: str | None = END, objective: str = OBJECTIVE,
    capital: float | None = CAPITAL, commission: float | None = COMMISSION,
    commission_per_share: float | None = COMMISSION_PER_SHARE, commission_bps: float | None = COMMISSION_BPS,
    slippage_bps: float | None = SLIPPAGE_BPS,
    executor: str = EXECUTOR, ray_address: str | None = RAY_ADDRESS, overfitting: bool = OVERFITTING,
    as_json: bool = JSON,
) -> None:
    """Backtest every valid parameter set on every symbol (invalid sets such as slow <= fast are skipped); the run
    keeps the whole surface for the heatmap and says whether the best set is luck."""
    from api.commands import research_tables
    from api.output import console, print_json
    from api.research_server.client import run_research

    config = backtest_costs(capital, commission, commission_per_share, commission_bps, slippage_bps)
    with console.status(f"running the {strategy} grid…"):
        result = run_research("grid", (strategy, _symbols(symbols), _grid(grid), start, end),
                              {"objective": objective, "config": config or None, "executor": executor,
                               "ray_address": ray_address, "overfitting": overfitting})
    if as_json:
        print_json(result)
        return
    research_tables.grid(result)


@backtest_app.command("compare")
def backtest_compare(run_ids: list[int] = typer.Argument(..., help="Run ids."), as_json: bool = JSON) -> None:
    """Headline metrics of several runs side by side (the best on each marked with *)."""
    from api.output import print_json, print_table
    from quant.display import format_metric, metric_label, params_text

    result = _service(acting=False).compare(run_ids)
    if as_json:
        print_json(result)
        return
    keys = ("total_return", "sharpe", "max_drawdown", "trade_count")
    best = result.get("best", {})

    def cell(row: dict, key: str) -> str:
        return format_metric(key, row.get(key)) + (" *" if best.get(key) == row["run_id"] else "")

    print_table("runs compared (* best)", ["run", "kind", "strategy", "parameters", *(metric_label(k) for k in keys)],
                [(r["run_id"], r["kind"], r["strategy"], params_text(r["params"]), *(cell(r, k) for k in keys))
                 for r in result["runs"]])


def walkforward(
    strategy: str = STRATEGY, symbols: str = SYMBOLS,
    grid: list[str] = typer.Option([], "--grid", metavar="NAME=START:STOP:STEP", help="A parameter's values to "
                                   "choose from in each fold (repeatable); none: the strategy's defaults."),
    start: str | None = START, end: str | None = END,
    window: str = typer.Option(WALK_FORWARD_WINDOW, "--window", help="rolling or anchored."),
    in_sample_days: int = typer.Option(WALK_FORWARD_IN_SAMPLE_DAYS, "--in-sample-days", metavar="BARS"),
    out_of_sample_days: int = typer.Option(WALK_FORWARD_OUT_OF_SAMPLE_DAYS, "--out-of-sample-days", metavar="BARS"),
    objective: str = OBJECTIVE,
    capital: float | None = CAPITAL, commission: float | None = COMMISSION,
    commission_per_share: float | None = COMMISSION_PER_SHARE, commission_bps: float | None = COMMISSION_BPS,
    slippage_bps: float | None = SLIPPAGE_BPS,
    executor: str = EXECUTOR, ray_address: str | None = RAY_ADDRESS, overfitting: bool = OVERFITTING,
    as_json: bool = JSON,
) -> None:
    """Walk-forward optimisation: each fold chooses parameters in-sample and trades them out-of-sample; the
    out-of-sample pieces are stitched into one account."""
    from rich.progress import Progress

    from api.commands import research_tables
    from api.output import console, print_json
    from api.research_server.client import run_research

    config = backtest_costs(capital, commission, commission_per_share, commission_bps, slippage_bps)
    with Progress(console=console, transient=True, disable=as_json or not console.is_terminal) as bar:
        task = bar.add_task("walk-forward folds", total=None)
        result = run_research(
            "walk_forward", (strategy, _symbols(symbols), _grid(grid), start, end),
            {"window": window, "in_sample_days": in_sample_days, "out_of_sample_days": out_of_sample_days,
             "objective": objective, "config": config or None, "executor": executor, "ray_address": ray_address,
             "overfitting": overfitting},
            progress=lambda done, total: bar.update(task, completed=done, total=total))
    if as_json:
        print_json(result)
        return
    research_tables.walk_forward(result)


def montecarlo(run_id: int = typer.Argument(..., help="A backtest or walk-forward run id."),
               method: str = typer.Option(MONTE_CARLO_METHOD, "--method", help="returns (block bootstrap of daily "
                                                                               "returns) or trades."),
               paths: int = typer.Option(MONTE_CARLO_PATHS, "--paths", min=10, max=1_000_000),
               seed: int = typer.Option(0, "--seed"), as_json: bool = JSON) -> None:
    """Bootstrap a run's returns or trades: percentiles of final equity, drawdown and Sharpe, and a fan chart."""
    from api.commands import research_tables
    from api.output import console, print_json

    with console.status("simulating…"):
        result = _service().monte_carlo(run_id, method=method, n_paths=paths, seed=seed)
    result["artifacts"] = _service().get(result["run_id"])["artifacts"]
    if as_json:
        print_json(result)
        return
    research_tables.monte_carlo(result)


def optimize(method: str = typer.Option("max_sharpe", "--method", help="max_sharpe, min_volatility, "
                                                                         "efficient_return, efficient_risk, "
                                                                         "black_litterman, hrp, risk_parity or "
                                                                         "risk_budgeting."),
             symbols: str = SYMBOLS,
             as_of: str | None = typer.Option(None, "--as-of", metavar="YYYY-MM-DD", help="Use closes known then."),
             lookback_days: int = typer.Option(OPTIMIZE_LOOKBACK_DAYS, "--lookback-days", min=20, metavar="DAYS",
                                               help="Sessions of closes to estimate from."),
             view: list[str] = typer.Option([], "--view", metavar="SYMBOL=RETURN@CONFIDENCE",
                                            help="A Black–Litterman view, e.g. AAPL=0.10@0.6 (10% a year, 60% "
                                                 "confident); repeatable; none: the market prior."),
             target_return: float | None = typer.Option(None, "--target-return", metavar="FRACTION",
                                                        help="Annual return for efficient_return, e.g. 0.15."),
             target_volatility: float | None = typer.Option(None, "--target-volatility", metavar="FRACTION",
                                                            help="Annual volatility for efficient_risk, e.g. 0.2."),
             value: float | None = typer.Option(None, "--value", min=1.0, metavar="DOLLARS",
                                                help="Also allocate whole shares of this amount."),
             as_json: bool = JSON) -> None:
    """Portfolio weights from stored closes known at --as-of (and whole shares with --value)."""
    from api.commands import research_tables
    from api.output import print_json
    from errors import ConfigError
    from quant.portfolio.methods import check_method
    from services.research.inputs import parse_views

    check_method(method)  # before the database and the solvers load: a mistyped method answers at once

    needs = {"efficient_return": ("--target-return", target_return), "efficient_risk": ("--target-volatility",
                                                                                        target_volatility)}
    if method in needs and needs[method][1] is None:
        raise ConfigError(f"{method} needs {needs[method][0]} (an annual fraction, e.g. 0.15)",
                          details={"field": needs[method][0].lstrip("-").replace("-", "_")})
    result = _service().optimize(method, _symbols(symbols), as_of=as_of, lookback_days=lookback_days,
                                 views=parse_views(view) or None, target_return=target_return,
                                 target_volatility=target_volatility, total_value=value)
    if as_json:
        print_json(result)
        return
    research_tables.optimization(result)
