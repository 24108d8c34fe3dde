"""Parameter grids and walk-forward on stored bars, recorded as runs (crossovers use fused kernels)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from errors import ConfigError
from quant.backtest.executors import check_executor
from services.research.curves import combined_equity
from services.research.defaults import (
    GRID_OBJECTIVE,
    GRID_TOP,
    WALK_FORWARD_IN_SAMPLE_DAYS,
    WALK_FORWARD_OUT_OF_SAMPLE_DAYS,
    WALK_FORWARD_WINDOW,
)
from services.research.folds import fold_rows
from services.research.judgement import judged
from services.research.provenance import run_hashes
from services.research.service import CROSSOVERS, _clean, code_version, headline
from services.research.signals import StrategySignals
from services.research.surface import grid_surface, store_surface

if TYPE_CHECKING:
    from services.research.service import Progress, ResearchService


def _index_of(panels, when) -> int:
    from memory.bars import as_utc_timestamp

    if when is None:
        return 0
    return int(panels["close"].index.searchsorted(as_utc_timestamp(when)))


def _panels_while_kernels_load(service: ResearchService, symbols: Sequence[str], end, as_of,
                               overfitting: bool) -> tuple[dict, float]:
    """The panels of ``symbols`` and the seconds the crossover kernels took to load: the kernels load on a
    second thread while this one reads the bars, mostly a wait on Postgres (the read, ~0.1 s for 20 stocks x 33
    years, is hidden behind the load). Both are done
    when this returns, an error or not (the pool's exit waits for the load), so no thread is left importing."""
    from concurrent.futures import ThreadPoolExecutor

    from quant.backtest.kernel_warmup import load_crossover_kernels

    symbols = service.stored_symbols(symbols)  # an unknown symbol is refused before any kernel loads
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kernel-load") as pool:
        loading = pool.submit(load_crossover_kernels, overfitting)
        panels = service.panels(symbols, end, as_of)
    return panels, loading.result()


def valid_grid(strategy: str, grid: Mapping[str, Sequence[Any]]) -> tuple[dict[str, list], int]:
    """Keep the grid's combinations the strategy accepts; count the invalid ones (e.g. slow <= fast)."""
    from quant.backtest.grid import expand_grid
    from quant.strategies.registry import get_strategy, validate_params

    get_strategy(strategy)  # an unknown name is that, not "no valid combination"
    if not grid:
        raise ConfigError("give at least one --grid name=start:stop:step")
    combos = expand_grid({k: list(v) for k, v in grid.items()})
    valid, skipped, first_reason = [], 0, ""
    for combo in combos:
        try:
            validate_params(strategy, combo)
            valid.append(combo)
        except ConfigError as exc:
            skipped += 1
            first_reason = first_reason or str(exc)
    if not valid:
        raise ConfigError(f"no valid parameter combination in the grid ({skipped} invalid; the first: "
                          f"{first_reason})")
    return valid, skipped


def grid(service: ResearchService, strategy: str, symbols: Sequence[str], grid_spec: Mapping[str, Sequence[Any]],
         start=None, end=None, *, as_of=None, objective: str = GRID_OBJECTIVE, top: int = GRID_TOP,
         config: Mapping[str, Any] | None = None, executor: str = "local", created_by: str = "system",
         progress: Progress | None = None, overfitting: bool = True, ray_address: str | None = None,
         report: bool = True) -> dict:
    """Every valid parameter set × symbol; returns n_backtests, skipped, elapsed_s, the best sets and
    (``overfitting``, on by default) the overfitting block: deflated Sharpe of the best set over
    every valid set and CSCV PBO over the sets' daily returns. ``executor`` (local, process, ray)
    applies to the generic grid; the fused crossover grid always runs in-process on threads.
    ``ray_address``: a Ray cluster to use (default: a local one started and stopped for this call).
    ``elapsed_s`` times the grid and its overfitting block once the bars are read and the kernels
    loaded (``kernel_load_s``, a start-up cost of the process), ``overfitting_s`` the overfitting part
    of it (folding returns into moments, CSCV, deflated Sharpe)."""
    from quant.backtest.grid import run_crossover_grid, run_grid

    check_executor(executor)
    fused = strategy in CROSSOVERS and set(grid_spec) == {"fast", "slow"}
    valid, skipped = valid_grid(strategy, grid_spec)
    bt = service.backtest_config(start, end, config)
    if fused:
        panels, kernel_load_s = _panels_while_kernels_load(service, symbols, end, as_of, overfitting)
    else:
        panels, kernel_load_s = service.panels(symbols, end, as_of), None
    lo, hi = _index_of(panels, start), (None if end is None else _index_of(panels, end) + 1)
    began = time.perf_counter()
    if fused:
        result = run_crossover_grid(panels.get("open"), panels["close"], list(grid_spec["fast"]),
                                    list(grid_spec["slow"]), CROSSOVERS[strategy], bt, start=lo, end=hi,
                                    return_moments=overfitting)
    else:
        result = run_grid(StrategySignals(strategy), panels, valid, bt, executor, start=lo, end=hi,
                          return_moments=overfitting, ray_address=ray_address)
    judgement = result.overfitting(objective)
    elapsed = time.perf_counter() - began
    if progress:
        progress(1, 1)
    best = result.best(objective, top=top)
    summary = {"n_backtests": int(result.n_backtests), "skipped": skipped,
               "elapsed_s": round(elapsed, 4),
               "overfitting_s": None if judgement is None else round(judgement.seconds, 4),
               "kernel_load_s": None if kernel_load_s is None else round(kernel_load_s, 4), "objective": objective,
               "best": [{"params": b["params"], objective: _clean(b[objective])} for b in best],
               "best_per_symbol": result.best_per_symbol(objective),
               "overfitting": judged(None if judgement is None else judgement.to_dict())}
    params = {k: list(v) for k, v in grid_spec.items()}
    run_id = service.runs.create("grid", strategy=strategy, symbols=list(panels["close"].columns), params=params,
                                 config=bt.model_dump(mode="json"), code_version=code_version(), created_by=created_by)
    surface = grid_surface(result, objective)
    artifacts = {"surface": store_surface(surface, service._run_dir(run_id))}
    service.runs.finish(run_id, metrics={objective: summary["best"][0][objective] if best else None},
                        summary=summary, artifacts=artifacts, **run_hashes(panels, bt, {"grid": params}))
    if report:
        service.report(run_id, frames={"surface": surface})
    return {"run_id": run_id, "strategy": strategy, **summary, "config": bt.model_dump(mode="json"),
            "artifacts": service.runs.get(run_id).artifacts}


def walk_forward(service: ResearchService, strategy: str, symbols: Sequence[str],
                 grid_spec: Mapping[str, Sequence[Any]], start=None, end=None, *, as_of=None,
                 window: str = WALK_FORWARD_WINDOW, in_sample_days: int = WALK_FORWARD_IN_SAMPLE_DAYS,
                 out_of_sample_days: int = WALK_FORWARD_OUT_OF_SAMPLE_DAYS, objective: str = GRID_OBJECTIVE,
                 min_trades: int = 0, config: Mapping[str, Any] | None = None,
                 executor: str = "local", report: bool = True, created_by: str = "system",
                 progress: Progress | None = None, overfitting: bool = True, ray_address: str | None = None) -> dict:
    """Rolling or anchored walk-forward; out-of-sample results stitched across folds and stored. The
    summary's ``overfitting`` block (on by default) judges the same grid run over all bars and adds
    the deflated Sharpe of the stitched out-of-sample returns. ``executor``/``ray_address`` as in
    ``grid`` (one Ray cluster serves every fold)."""
    from quant.backtest.walkforward import WalkForwardConfig, walk_forward_crossover
    from quant.backtest.walkforward import walk_forward as run_walk_forward

    check_executor(executor)
    valid, skipped = valid_grid(strategy, grid_spec)
    wf = WalkForwardConfig(in_sample_days=in_sample_days, out_of_sample_days=out_of_sample_days, window=window,
                           objective=objective, min_trades_required=min_trades)
    bt = service.backtest_config(None, None, config)
    panels = service.panels(symbols, end, as_of, start=start)
    n_bars = len(panels["close"])
    if n_bars < in_sample_days + out_of_sample_days:
        raise ConfigError(f"walk-forward needs at least {in_sample_days + out_of_sample_days} bars "
                          f"(in-sample {in_sample_days} + out-of-sample {out_of_sample_days}); the data has {n_bars}")
    callback = (lambda done, total: progress(done, total)) if progress else None
    if strategy in CROSSOVERS and set(grid_spec) == {"fast", "slow"}:
        result = walk_forward_crossover(panels, list(grid_spec["fast"]), list(grid_spec["slow"]), wf, bt,
                                        kind=CROSSOVERS[strategy], progress=callback, overfitting=overfitting)
    else:
        result = run_walk_forward(StrategySignals(strategy), panels, valid, wf, bt, progress=callback,
                                  executor=executor, overfitting=overfitting, ray_address=ray_address)
    data = result.to_dict()
    combined = combined_equity(result.equity)
    from quant.metrics.performance import compute_metrics

    metrics = compute_metrics(combined, result.trades, periods_per_year=bt.periods_per_year,
                              initial_capital=bt.initial_capital).to_dict() if len(combined) > 1 else {}
    metrics = {k: _clean(v) for k, v in metrics.items()} | {"trades": int(len(result.trades))}
    folds = fold_rows(data["folds"], result.equity, result.trades, initial_capital=bt.initial_capital,
                      periods_per_year=bt.periods_per_year)
    summary = {"folds": folds, "parameter_stability": data["parameter_stability"], "oos_bars": data["oos_bars"],
               "skipped": skipped, "elapsed_s": round(result.elapsed_s, 4),
               "overfitting_s": None if data["overfitting_s"] is None else round(data["overfitting_s"], 4),
               "equity_final": _clean(float(combined.iloc[-1])) if len(combined) else None,
               "per_symbol": {s: headline(m) for s, m in data["metrics"].items()},
               "overfitting": judged(data["overfitting"])}
    params = {k: list(v) for k, v in grid_spec.items()}
    run_id = service.runs.create("walkforward", strategy=strategy, symbols=list(panels["close"].columns),
                                 params=params, config={"walk_forward": wf.model_dump(mode="json"),
                                                        "backtest": bt.model_dump(mode="json")},
                                 code_version=code_version(), created_by=created_by)
    directory = service._run_dir(run_id)
    artifacts = {"equity": str(directory / "equity.parquet"), "trades": str(directory / "trades.parquet")}
    result.equity.to_parquet(artifacts["equity"])
    result.trades.to_parquet(artifacts["trades"])
    service.runs.finish(run_id, metrics=metrics, summary=summary, artifacts=artifacts,
                        **run_hashes(panels, bt, {"grid": params, "walk_forward": wf.model_dump(mode="json")}))
    if report and len(combined) > 1:
        service.report(run_id, prices=panels["close"])
    return service.get(run_id)
