"""Stored research runs as people look them up: filtered lists and one run. Light on purpose (no pandas, no
numba), so ``runs list`` and ``runs show`` answer fast."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardrails.policy import Actor, Operation, require
from memory.db import Database
from memory.runs import RunRecord, RunStore

RUN_KINDS = ("backtest", "grid", "walkforward", "montecarlo", "optimize")
RUN_STATUSES = ("queued", "running", "done", "failed")
# the API's job words and other spellings people use for the stored kinds
KIND_ALIASES = {"walk_forward": "walkforward", "walk-forward": "walkforward", "monte_carlo": "montecarlo",
                "monte-carlo": "montecarlo", "optimization": "optimize", "optimisation": "optimize"}


def list_runs(database: Database, actor: Actor, *, kind: str | None = None, strategy: str | None = None,
              status: str | None = None, symbol: str | None = None, created_by: str | None = None,
              limit: int = 20) -> list[RunRecord]:
    """Runs newest first, filtered by each argument given, as ``actor`` sees them (reading research: any role);
    ConfigError for an unknown kind or status."""
    from errors import ConfigError

    require(actor, Operation.READ_RESEARCH)

    kind = KIND_ALIASES.get(kind, kind) if kind else None
    if kind and kind not in RUN_KINDS:
        raise ConfigError(f"unknown run kind {kind!r}; one of {', '.join(RUN_KINDS)}", details={"field": "kind"})
    if status and status not in RUN_STATUSES:
        raise ConfigError(f"unknown run status {status!r}; one of {', '.join(RUN_STATUSES)}",
                          details={"field": "status"})
    if not 1 <= limit <= 1000:
        raise ConfigError(f"--limit must be between 1 and 1000, got {limit}", details={"field": "limit"})
    return RunStore(database).list(kind=kind, strategy=strategy, status=status, symbol=symbol,
                                   created_by=created_by, limit=limit)


# the metrics a page or report shows first for each run kind, in this order
RUN_METRICS = {
    "backtest": ("total_return", "cagr", "sharpe", "sortino", "max_drawdown", "trades", "win_rate",
                 "profit_factor", "total_pnl"),
    "walkforward": ("total_return", "cagr", "sharpe", "sortino", "max_drawdown", "trades", "win_rate",
                    "profit_factor", "total_pnl"),
    "grid": ("n_backtests", "skipped", "elapsed_s"),
    "montecarlo": ("final_equity_p50", "max_drawdown_pct_p50", "sharpe_p50", "probability_of_loss"),
    "optimize": ("expected_annual_return", "annual_volatility", "sharpe"),
}


def shown_metrics(record: RunRecord) -> dict[str, Any]:
    """``RUN_METRICS`` of the run's kind that it has (a grid: its best score first, then how much it searched);
    an unknown kind: every metric it stored."""
    names = RUN_METRICS.get(record.kind)
    if names is None:
        return dict(record.metrics)
    found = dict(record.metrics) | {k: record.summary.get(k) for k in names if k in record.summary}
    first = tuple(record.metrics) if record.kind == "grid" else ()
    return {k: found[k] for k in (*first, *names) if k in found}


def run_sharpe(metrics: Mapping[str, Any]) -> Any:
    """The Sharpe a list of runs shows: the run's own, a Monte Carlo's median path's (the web page's Runs list and
    ``runs list`` alike)."""
    return metrics.get("sharpe", metrics.get("sharpe_p50"))


def shown_params(record: RunRecord) -> dict[str, Any]:
    """The run's parameters that were given (an optimisation stores every option, most of them unset); an
    optimisation's as its CLI flags take them, in people's units: ``view AAPL=12.00%@70%``, ``target_volatility=
    30.00%``, ``total_value=$50,000.00``, ``weight_bounds=0% to 100%``."""
    given = {k: v for k, v in record.params.items() if v not in (None, {}, [])}
    if record.kind != "optimize":
        return given
    from quant import display

    shown: dict[str, Any] = {}
    for name, value in sorted(given.items(), key=lambda item: item[0] != "method"):  # JSONB reorders the keys
        if name == "views" and isinstance(value, Mapping):
            shown.update({f"view {symbol}": f"{display.percent(view[0])}@{display.percent(view[1], 0)}"
                          for symbol, view in value.items()})
        elif name in ("target_return", "target_volatility"):
            shown[name] = display.percent(value)
        elif name == "total_value":
            shown[name] = display.money(value)
        elif name == "weight_bounds" and len(value) == 2:
            shown[name] = f"{display.percent(value[0], 0)} to {display.percent(value[1], 0)}"
        else:
            shown[name] = value
    return shown


def backtest_costs(record: RunRecord) -> Mapping[str, Any]:
    """The backtest config a run traded with: capital, commissions, slippage (a walk-forward keeps it under
    ``backtest``; a Monte Carlo has its source run's)."""
    return record.config.get("backtest", record.config) if isinstance(record.config, Mapping) else {}


def get_run(database: Database, actor: Actor, run_id: int) -> RunRecord:
    """One run as ``actor`` sees it (NotFoundError naming it when there is none)."""
    require(actor, Operation.READ_RESEARCH)
    return RunStore(database).get(run_id)


def public_run(record: RunRecord) -> dict:
    """The run as the CLI and the API show it (the same shape ``ResearchService`` returns)."""
    summary = dict(record.summary)
    return {
        "run_id": record.id, "kind": record.kind, "status": record.status, "strategy": record.strategy,
        "symbols": record.symbols, "params": record.params, "config": record.config,
        "config_hash": record.config_hash, "data_hash": record.data_hash, "code_version": record.code_version,
        "metrics": record.metrics, "equity_final": summary.pop("equity_final", None),
        "summary": summary, "artifacts": record.artifacts, "error": record.error, "parent_id": record.parent_id,
        "created_by": record.created_by, "created_at": record.created_at.isoformat(),
        "finished_at": record.finished_at.isoformat() if record.finished_at else None,
    }
