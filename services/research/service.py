"""The research service: backtests, grids, walk-forward, Monte Carlo and optimisation on stored
bars, each recorded as a reproducible run with its artifacts. The CLI, the API and the agents'
tools all call this one service."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from errors import ConfigError, DataError
from guardrails.policy import Actor, Operation, require
from memory.bars import BarStore, as_utc_timestamp
from memory.db import Database
from memory.runs import RunRecord, RunStore
from services.research.budget import WorkBudget, WorkSizer
from services.research.curves import combined_equity

Progress = Callable[[int, int], None]
CROSSOVERS = {"sma_crossover": "sma", "ema_crossover": "ema"}
CROSS_SECTIONAL = {"xs_momentum"}


def walk_forward_grid(strategy: str, params: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The parameter grid of a walk-forward: the given values (lists are searched per fold), else the strategy's
    defaults (a crossover's fast and slow) — the same for the CLI without ``--grid``, the chat and the API."""
    from quant.strategies import registry

    grid = {k: list(v) if isinstance(v, list | tuple) else [v] for k, v in params.items()}
    if grid:
        return grid
    defaults = registry.validate_params(strategy, {}).model_dump(mode="json")
    keys = ("fast", "slow") if strategy in CROSSOVERS else tuple(defaults)
    return {k: [defaults[k]] for k in keys}
HEADLINE = ("total_return", "cagr", "sharpe", "sortino", "max_drawdown", "trade_count", "win_rate", "profit_factor")


@lru_cache(maxsize=1)
def code_version() -> str:
    """The git commit of the running code (or 'unknown' outside a checkout)."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parents[1])
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _clean(value.item())
    return value


def headline(metrics: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _clean(metrics.get(k)) for k in HEADLINE}


def _with_ray_address(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` with the configured Ray cluster (``QUANTPILOT_RAY_ADDRESS``) when none was given."""
    if options.get("executor") == "ray" and not options.get("ray_address"):
        from config import get_settings

        return {**options, "ray_address": get_settings().ray_address}
    return options


class ResearchService:
    """Runs research on point-in-time bars and records every run (config hash, data hash, code version), for
    ``actor``: recording a run needs the trader role, reading runs any role (the one policy table)."""

    def __init__(self, database: Database, artifacts_dir: Path | None = None, *, actor: Actor,
                 budget: WorkBudget | None = None):
        self.database = database
        self.actor = actor
        self.bars = BarStore(database)
        self.runs = RunStore(database)
        self.sizer = WorkSizer(database, budget)  # every request is sized before it runs (services.research.budget)
        if artifacts_dir is None:
            from config import get_settings

            artifacts_dir = get_settings().artifacts_dir
        self.artifacts_dir = Path(artifacts_dir)

    # ----------------------------------------------------------------- inputs
    def stored_symbols(self, symbols: Sequence[str]) -> list[str]:
        """``symbols`` upper-cased, each checked to have stored bars (``DataError`` naming those without)."""
        wanted = [s.strip().upper() for s in symbols if s.strip()]
        if not wanted:
            raise ConfigError("no symbols given")
        known = self.bars.known_symbols()
        unknown = [s for s in wanted if s not in known]
        if unknown:
            raise DataError(f"unknown symbol(s) {', '.join(unknown)}; load them first "
                            f"(`quantpilot data load --symbols {','.join(unknown)}`)", code="unknown_symbol")
        return wanted

    def panels(self, symbols: Sequence[str], end: date | str | None, as_of: date | str | datetime | None,
               start: date | str | None = None) -> dict[str, pd.DataFrame]:
        """Wide panels (open/high/low/close/volume) of ``symbols`` known at ``as_of``, up to ``end``."""
        from quant.backtest.panels import panels_from_bars

        wanted = self.stored_symbols(symbols)
        cutoff = as_of or end or pd.Timestamp.now(tz="UTC")
        bars = self.bars.read(wanted, start, end, as_of=cutoff)
        if bars.empty:
            raise DataError(f"no bars for {', '.join(wanted)} up to {as_utc_timestamp(cutoff).date()}")
        return panels_from_bars(bars)

    @staticmethod
    def backtest_config(start, end, overrides: Mapping[str, Any] | None, capital_mode: str | None = None):
        """The ``BacktestConfig`` of a run: ``overrides`` (capital, commissions, slippage, sizing…) within
        [start, end]; ConfigError naming a field it does not know or a value it refuses."""
        from quant.backtest.config import BacktestConfig

        values = dict(overrides or {})
        if start is not None:
            values["start_date"] = as_utc_timestamp(start).to_pydatetime()
        if end is not None:
            values["end_date"] = as_utc_timestamp(end).to_pydatetime()
        if capital_mode and "capital_mode" not in values:
            values["capital_mode"] = capital_mode
        if values.get("start_date") and values.get("end_date") and values["start_date"] > values["end_date"]:
            raise ConfigError(f"start {start} is after end {end}")
        return BacktestConfig(**values)

    @staticmethod
    def _signal_fn(strategy: str) -> Callable[[Mapping[str, pd.DataFrame], Mapping[str, Any]], pd.DataFrame]:
        from quant.strategies.registry import get_strategy, validate_params

        cls = get_strategy(strategy)
        return lambda panels, params: cls.signals(panels, validate_params(strategy, params))

    # -------------------------------------------------------------- backtest
    def backtest(self, strategy: str, symbols: Sequence[str], params: Mapping[str, Any] | None = None,
                 start: date | str | None = None, end: date | str | None = None, *,
                 as_of: date | str | None = None, engine: str = "vectorized",
                 config: Mapping[str, Any] | None = None, report: bool = True, created_by: str | None = None) -> dict:
        """Backtest ``strategy`` on ``symbols``; returns the run summary (run_id, metrics, equity_final…)."""
        require(self.actor, Operation.RUN_RESEARCH)
        self.sizer.panel("backtest", strategy, symbols, None, start, end, as_of)
        created_by = created_by or self.actor.name
        from quant.backtest.engine import backtest as run_backtest
        from quant.backtest.event import TargetPositionStrategy, event_backtest
        from quant.backtest.panels import aligned_targets, panel_arrays, window_bounds
        from quant.strategies.registry import validate_params

        if engine not in ("vectorized", "event"):
            raise ConfigError(f"unknown engine {engine!r}; use vectorized or event")
        model = validate_params(strategy, params)
        bt = self.backtest_config(start, end, config, "portfolio" if strategy in CROSS_SECTIONAL else None)
        panels = self.panels(symbols, end, as_of)
        run_id = self.runs.create("backtest", strategy=strategy, symbols=list(panels["close"].columns),
                                  params=model.model_dump(mode="json"), config=bt.model_dump(mode="json") | {
                                      "engine": engine, "as_of": str(as_of) if as_of else None},
                                  code_version=code_version(), created_by=created_by)
        try:
            positions = self._signal_fn(strategy)(panels, model.model_dump())
            if engine == "event":
                arrays = panel_arrays(panels)
                lo, hi = window_bounds(arrays.index, bt.start_date, bt.end_date)
                targets = aligned_targets(positions, arrays)[max(lo - 1, 0):hi]  # event_backtest's window
                column = {s: i for i, s in enumerate(arrays.symbols)}
                result = event_backtest(lambda s: TargetPositionStrategy(targets[:, column[s]]), panels, bt,
                                        strategy_id=strategy, params=model.model_dump())
            else:
                result = run_backtest(panels, positions, bt, strategy_id=strategy, params=model.model_dump())
            summary = self._summarise(result, panels)
            artifacts = self._store_artifacts(run_id, result)
            self.runs.finish(run_id, metrics=summary["metrics"], summary=summary, artifacts=artifacts,
                             data_hash=result.data_hash, config_hash=result.config_hash)
        except Exception as exc:  # a failed run is recorded as failed, whatever broke it
            self.runs.fail(run_id, f"{type(exc).__name__}: {exc}")
            raise
        if report:
            self.report(run_id, prices=panels["close"])
        return self._public(self.runs.get(run_id))

    def equity_curve(self, run_id: int) -> pd.Series:
        """The stored run's equity in dollars (its symbols' books combined), index = session dates."""
        require(self.actor, Operation.READ_RESEARCH)
        source = self.runs.get(run_id)
        if source.kind not in ("backtest", "walkforward") or "equity" not in source.artifacts:
            raise ConfigError(f"run {run_id} is a {source.kind} run without an equity curve; give a backtest run id")
        return combined_equity(pd.read_parquet(source.artifacts["equity"]))

    def _summarise(self, result, panels: Mapping[str, pd.DataFrame]) -> dict:
        from quant.metrics.performance import compute_metrics

        combined = combined_equity(result.equity)
        metrics = compute_metrics(combined, result.trades, periods_per_year=result.config.periods_per_year,
                                  initial_capital=result.config.initial_capital).to_dict()
        metrics["trades"] = int(len(result.trades))
        return {
            "metrics": {k: _clean(v) for k, v in metrics.items()},
            "per_symbol": {s: headline(m.to_dict()) for s, m in result.metrics.items()},
            "equity_final": _clean(float(combined.iloc[-1])) if len(combined) else None,
            "start": str(result.start.date()) if result.start is not None else None,
            "end": str(result.end.date()) if result.end is not None else None,
            "bars": int(len(combined)),
            "unfilled_orders": {k: int(v) for k, v in result.unfilled_orders.items()},
            "fees_paid": round(float(sum(result.fees_paid.values())), 2),
            "fill_convention": result.fill_convention,
            "closes_only": sorted(s for s, c in result.fill_convention.items() if c == "next_close"),
        }

    def _run_dir(self, run_id: int) -> Path:
        path = self.artifacts_dir / "runs" / str(run_id)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _store_artifacts(self, run_id: int, result) -> dict:
        """The run's per-symbol equity and its trades as parquet files; the report is rendered from them."""
        directory = self._run_dir(run_id)
        equity_path, trades_path = directory / "equity.parquet", directory / "trades.parquet"
        result.equity.to_parquet(equity_path)
        result.trades.to_parquet(trades_path)
        return {"equity": str(equity_path), "trades": str(trades_path)}

    @staticmethod
    def _public(record: RunRecord) -> dict:
        from services.research.runs import public_run

        return public_run(record)

    def grid(self, strategy: str, symbols: Sequence[str], grid_spec: Mapping[str, Sequence[Any]], start=None,
             end=None, **options) -> dict:
        from services.research.search import grid

        require(self.actor, Operation.RUN_RESEARCH)
        self.sizer.panel("grid", strategy, symbols, grid_spec, start, end, options.get("as_of"))
        options.setdefault("created_by", self.actor.name)
        return grid(self, strategy, symbols, grid_spec, start, end, **_with_ray_address(options))

    def walk_forward(self, strategy: str, symbols: Sequence[str], grid_spec: Mapping[str, Sequence[Any]] | None,
                     start=None, end=None, **options) -> dict:
        """``grid_spec`` empty or None: the strategy's default parameters in every fold (``walk_forward_grid``)."""
        from services.research.search import walk_forward

        require(self.actor, Operation.RUN_RESEARCH)
        grid_spec = walk_forward_grid(strategy, grid_spec or {})
        self.sizer.panel("walk_forward", strategy, symbols, grid_spec, start, end, options.get("as_of"))
        options.setdefault("created_by", self.actor.name)
        return walk_forward(self, strategy, symbols, grid_spec, start, end, **_with_ray_address(options))

    def monte_carlo(self, run_id: int, **options) -> dict:
        from services.research.analysis import monte_carlo

        require(self.actor, Operation.RUN_RESEARCH)
        self.sizer.monte_carlo(run_id, options.get("n_paths", 10_000))
        options.setdefault("created_by", self.actor.name)
        return monte_carlo(self, run_id, **options)

    def optimize(self, method: str, symbols: Sequence[str], **options) -> dict:
        from services.research.analysis import optimize

        require(self.actor, Operation.RUN_RESEARCH)
        self.sizer.optimize(symbols, options.get("as_of"), options.get("lookback_days", 756))
        options.setdefault("created_by", self.actor.name)
        return optimize(self, method, symbols, **options)

    def report(self, run_id: int, *, prices: pd.DataFrame | None = None, refresh: bool = False,
               frames: Mapping[str, pd.DataFrame] | None = None) -> Path:
        """The run's HTML report (any kind), rendered now from what the run stored when it has none yet (runs
        started from the chat are made without one) or when ``refresh``; its path is stored with the run.
        ``frames``: artifacts the caller has just stored, by name, so they are not read back from disk."""
        from sqlalchemy import text

        from services.research.reports import write_run_report

        require(self.actor, Operation.READ_RESEARCH)
        record = self.runs.get(run_id)
        stored = record.artifacts.get("report")
        if stored and Path(stored).exists() and not refresh:
            return Path(stored)
        if record.status != "done":
            raise ConfigError(f"run {run_id} is {record.status}; its report comes when it is done")
        path = write_run_report(self, record, prices=prices, frames=frames)
        with self.database.engine.begin() as conn:
            conn.execute(text("UPDATE research_runs SET artifacts = artifacts || jsonb_build_object('report', "
                              "CAST(:p AS text)) WHERE id = :id"), {"p": str(path), "id": run_id})
        return path

    def get(self, run_id: int) -> dict:
        require(self.actor, Operation.READ_RESEARCH)
        return self._public(self.runs.get(run_id))

    def list(self, kind: str | None = None, limit: int = 50) -> list[dict]:
        require(self.actor, Operation.READ_RESEARCH)
        return [self._public(r) for r in self.runs.list(kind=kind, limit=limit)]

    def record(self, run_id: int) -> RunRecord:
        """The stored run (``memory.runs.RunRecord``)."""
        from services.research.runs import get_run

        return get_run(self.database, self.actor, run_id)

    def records(self, **filters: Any) -> list[RunRecord]:
        """Stored runs newest first, filtered as ``services.research.runs.list_runs`` (kind, strategy, status,
        symbol, created_by, limit)."""
        from services.research.runs import list_runs

        return list_runs(self.database, self.actor, **filters)

    def compare(self, run_ids: Sequence[int]) -> dict:
        """Headline metrics of several runs side by side, and which is best on each."""
        require(self.actor, Operation.READ_RESEARCH)
        if len(run_ids) < 1:
            raise ConfigError("give at least one run id to compare")
        records = [self.runs.get(int(i)) for i in run_ids]
        rows = [{"run_id": r.id, "kind": r.kind, "strategy": r.strategy, "params": r.params,
                 **headline(r.metrics)} for r in records]
        best = {}
        for key in ("sharpe", "total_return", "cagr"):
            scored = [(row[key], row["run_id"]) for row in rows if row.get(key) is not None]
            if scored:
                best[key] = max(scored)[1]
        scored_dd = [(row["max_drawdown"], row["run_id"]) for row in rows if row.get("max_drawdown") is not None]
        if scored_dd:
            best["max_drawdown"] = min(scored_dd)[1]
        return {"runs": rows, "best": best}
