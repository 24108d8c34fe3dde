"""Research commands: strategies, indicators, backtest run|grid|compare, walkforward, montecarlo, optimize."""

from __future__ import annotations

from pathlib import Path

import typer

backtest_app = typer.Typer(help="Backtests: run one, run a parameter grid, compare runs.", no_args_is_help=True)
strategies_app = typer.Typer(help="Strategies available to backtest and trade.", no_args_is_help=True)
indicators_app = typer.Typer(help="Technical indicators (pandas-ta catalogue + fast core).", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print JSON.")
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


def _metrics_table(title: str, metrics: dict) -> None:
    from api.output import print_table

    keys = ("total_return", "cagr", "sharpe", "sortino", "max_drawdown", "trades", "win_rate", "profit_factor")
    print_table(title, ["metric", "value"],
                [(k, f"{metrics[k]:.4f}" if isinstance(metrics.get(k), float) else metrics.get(k)) for k in keys])


@strategies_app.command("list")
def strategies_list(as_json: bool = JSON) -> None:
    """Registered strategies with their parameters and defaults."""
    from dataclasses import asdict

    from api.output import print_json, print_table
    from quant.strategies.registry import list_strategies

    specs = list_strategies()
    if as_json:
        print_json([asdict(s) for s in specs])
        return
    print_table("strategies", ["name", "defaults", "description"],
                [(s.name, ", ".join(f"{k}={v}" for k, v in s.defaults.items()), s.description) for s in specs])


@indicators_app.command("list")
def indicators_list(category: str | None = typer.Option(None, help="Only this category."),
                    as_json: bool = JSON) -> None:
    """Every indicator by name with category and parameters."""
    from api.output import print_json, print_table
    from quant.indicators.registry import list_all_indicators

    specs = list_all_indicators(category)
    if as_json:
        print_json([{"name": s.name, "category": s.category, "source": s.source,
                     "params": {p.name: p.default for p in s.params}} for s in specs])
        return
    print_table(f"{len(specs)} indicators", ["name", "category", "source", "parameters"],
                [(s.name, s.category, s.source, ", ".join(f"{p.name}={p.default}" for p in s.params)) for s in specs])


@backtest_app.command("run")
def backtest_run(
    strategy: str = typer.Option(..., "--strategy", help="Strategy name (see `strategies list`)."),
    symbols: str = typer.Option(..., "--symbols", help="Comma-separated symbols."),
    start: str | None = typer.Option(None, "--start"), end: str | None = typer.Option(None, "--end"),
    param: list[str] = typer.Option([], "--param", help="name=value (repeatable)."),
    engine: str = typer.Option("vectorized", "--engine", help="vectorized or event."),
    sizing: str | None = typer.Option(None, "--sizing", help="all_in, fixed_fraction, volatility_target, "
                                                               "risk_per_trade."),
    report: Path | None = typer.Option(None, "--report", help="Also copy the HTML report here."),
    as_json: bool = JSON,
) -> None:
    """Backtest a strategy; stores the run, its hashes and an HTML report."""
    import shutil

    from api.output import console, print_json

    config = {"sizing": sizing} if sizing else None
    with console.status(f"backtesting {strategy} on {symbols}…"):
        run = _service().backtest(strategy, _symbols(symbols), _params(param), start, end, engine=engine, config=config)
    if report and run["artifacts"].get("report"):
        shutil.copyfile(run["artifacts"]["report"], report)
        run["artifacts"]["report_copy"] = str(report)
    if as_json:
        print_json(run)
        return
    _metrics_table(f"run {run['run_id']}: {strategy} {','.join(run['symbols'])} "
                   f"{run['summary'].get('start')}..{run['summary'].get('end')}", run["metrics"])
    console.print(f"final equity ${run['equity_final']:,.2f}; report: {run['artifacts'].get('report')}")
    if run["summary"].get("closes_only"):
        console.print("[yellow]closes-only data: signals filled at the next close[/] "
                      f"({', '.join(run['summary']['closes_only'])})")


@backtest_app.command("grid")
def backtest_grid(
    strategy: str = typer.Option(..., "--strategy"), symbols: str = typer.Option(..., "--symbols"),
    grid: list[str] = typer.Option(..., "--grid", help="name=start:stop:step, inclusive (repeatable)."),
    start: str | None = typer.Option(None, "--start"), end: str | None = typer.Option(None, "--end"),
    objective: str = typer.Option("sharpe", "--objective"),
    executor: str = EXECUTOR, ray_address: str | None = RAY_ADDRESS, overfitting: bool = OVERFITTING,
    as_json: bool = JSON,
) -> None:
    """Backtest every valid parameter set on every symbol (invalid sets such as slow <= fast are skipped)."""
    from api.output import console, print_json, print_table
    from quant.display import count, seconds

    with console.status(f"running the {strategy} grid…"):
        result = _service().grid(strategy, _symbols(symbols), _grid(grid), start, end, objective=objective,
                                 executor=executor, ray_address=ray_address, overfitting=overfitting)
    if as_json:
        print_json(result)
        return
    console.print(f"{count(result['n_backtests'])} backtests in {seconds(result['elapsed_s'])} "
                  f"({count(result['skipped'])} invalid combinations skipped); run {result['run_id']}")
    costs = []
    if result.get("overfitting_s") is not None:
        costs.append(f"overfitting statistics {seconds(result['overfitting_s'])} of it")
    if result.get("kernel_load_s") is not None:
        costs.append(f"kernels loaded in {seconds(result['kernel_load_s'])} before")
    if costs:
        console.print("; ".join(costs))
    print_table(f"best by {objective}", ["params", objective],
                [(b["params"], b[objective]) for b in result["best"]])
    _print_overfitting(result.get("overfitting"))


def _print_overfitting(block: dict | None) -> None:
    """One line: "is this luck?" (PBO, deflated Sharpe p over n trials)."""
    from api.output import console

    if not block:
        return
    line = f"overfitting: {block['verdict']}"
    if block.get("oos_deflated_sharpe") is not None:
        line += f"; out-of-sample deflated Sharpe p={block['oos_deflated_sharpe']:.2f}"
    if block.get("pbo_note"):
        line += f" ({block['pbo_note']})"
    console.print(line, highlight=False)


@backtest_app.command("compare")
def backtest_compare(run_ids: list[int] = typer.Argument(..., help="Run ids."), as_json: bool = JSON) -> None:
    """Headline metrics of several runs side by side."""
    from api.output import print_json, print_table

    result = _service(acting=False).compare(run_ids)
    if as_json:
        print_json(result)
        return
    keys = ("total_return", "sharpe", "max_drawdown", "trade_count")
    rows = [(r["run_id"], r["kind"], r["strategy"], r["params"], *(r.get(k) for k in keys)) for r in result["runs"]]
    print_table("runs", ["run", "kind", "strategy", "params", *keys], rows)


def walkforward(
    strategy: str = typer.Option(..., "--strategy"), symbols: str = typer.Option(..., "--symbols"),
    grid: list[str] = typer.Option(..., "--grid", help="name=start:stop:step, inclusive (repeatable)."),
    start: str | None = typer.Option(None, "--start"), end: str | None = typer.Option(None, "--end"),
    window: str = typer.Option("rolling", "--window", help="rolling or anchored."),
    in_sample_days: int = typer.Option(252, "--in-sample-days"),
    out_of_sample_days: int = typer.Option(63, "--out-of-sample-days"),
    objective: str = typer.Option("sharpe", "--objective"),
    executor: str = EXECUTOR, ray_address: str | None = RAY_ADDRESS, overfitting: bool = OVERFITTING,
    as_json: bool = JSON,
) -> None:
    """Walk-forward optimisation: choose parameters in-sample, trade them out-of-sample, stitch the OOS."""
    from rich.progress import Progress

    from api.output import console, print_json

    with Progress(console=console, transient=True, disable=as_json) as bar:
        task = bar.add_task("walk-forward folds", total=None)
        result = _service().walk_forward(
            strategy, _symbols(symbols), _grid(grid), start, end, window=window, in_sample_days=in_sample_days,
            out_of_sample_days=out_of_sample_days, objective=objective, executor=executor, ray_address=ray_address,
            overfitting=overfitting, progress=lambda done, total: bar.update(task, completed=done, total=total))
    if as_json:
        print_json(result)
        return
    _metrics_table(f"walk-forward run {result['run_id']} — {len(result['summary']['folds'])} folds, out-of-sample",
                   result["metrics"])
    _print_overfitting(result["summary"].get("overfitting"))
    if result["summary"].get("overfitting_s") is not None:
        from quant.display import seconds

        console.print(f"overfitting statistics took {seconds(result['summary']['overfitting_s'])} of "
                      f"{seconds(result['summary']['elapsed_s'])} (a full-sample grid included)")
    console.print(f"report: {result['artifacts'].get('report')}")


def montecarlo(run_id: int = typer.Argument(..., help="A backtest run id."),
               method: str = typer.Option("returns", "--method", help="returns (block bootstrap) or trades."),
               paths: int = typer.Option(10_000, "--paths"), seed: int = typer.Option(0, "--seed"),
               as_json: bool = JSON) -> None:
    """Bootstrap a backtest's returns or trades: percentiles of final equity, drawdown and Sharpe."""
    from api.output import console, print_json, print_table

    with console.status("simulating…"):
        result = _service().monte_carlo(run_id, method=method, n_paths=paths, seed=seed)
    if as_json:
        print_json(result)
        return
    print_table(f"Monte Carlo run {result['run_id']} of run {run_id} ({paths:,} paths, {method})",
                ["statistic", "p5", "p50", "p95"],
                [(k, *(result[k][p] for p in ("p5", "p50", "p95"))) for k in ("final_equity", "max_drawdown_pct",
                                                                              "sharpe")])
    console.print(f"probability of loss: {result['probability_of_loss']:.1%}")


def optimize(method: str = typer.Option("max_sharpe", "--method", help="max_sharpe, min_volatility, hrp, "
                                                                         "black_litterman, risk_parity, …"),
             symbols: str = typer.Option(..., "--symbols"), as_of: str | None = typer.Option(None, "--as-of"),
             lookback_days: int = typer.Option(756, "--lookback-days"),
             value: float | None = typer.Option(None, "--value", help="Also allocate whole shares of this $ amount."),
             as_json: bool = JSON) -> None:
    """Portfolio weights from stored closes known at --as-of."""
    from api.output import print_json, print_table
    from quant.portfolio.methods import check_method

    check_method(method)  # before the database and the solvers load: a mistyped method answers at once
    result = _service().optimize(method, _symbols(symbols), as_of=as_of, lookback_days=lookback_days,
                                 total_value=value)
    if as_json:
        print_json(result)
        return
    print_table(f"{method} weights (run {result['run_id']}): return {result['expected_annual_return']:.2%}, "
                f"volatility {result['annual_volatility']:.2%}, sharpe {result['sharpe']:.2f}",
                ["symbol", "weight"], sorted(((s, f"{w:.4f}") for s, w in result["weights"].items()),
                                             key=lambda r: -float(r[1])))
