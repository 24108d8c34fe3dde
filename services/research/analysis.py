"""Monte Carlo of a stored run and portfolio optimisation on stored closes, both recorded as runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from errors import ConfigError, DataError
from services.research.defaults import MONTE_CARLO_METHOD, MONTE_CARLO_PATHS, OPTIMIZE_LOOKBACK_DAYS
from services.research.provenance import settings_hash
from services.research.runs import backtest_costs
from services.research.service import code_version

if TYPE_CHECKING:
    from services.research.service import ResearchService


def monte_carlo(service: ResearchService, run_id: int, *, method: str = MONTE_CARLO_METHOD,
                n_paths: int = MONTE_CARLO_PATHS, seed: int = 0, created_by: str = "system",
                report: bool = True) -> dict:
    """Bootstrap a finished backtest's trades or daily returns → percentiles of final equity, drawdown, Sharpe;
    the run stores its fan (percentile paths) and, with ``report``, an HTML report with the fan chart."""
    from quant.research.montecarlo import bootstrap_returns, bootstrap_trades

    combined = service.equity_curve(run_id)
    source = service.runs.get(run_id)
    if method == "trades":
        if "trades" not in source.artifacts:
            raise ConfigError(f"run {run_id} stored no trades")
        trades = pd.read_parquet(source.artifacts["trades"])
        if trades.empty:
            raise DataError(f"run {run_id} made no trades to resample")
        result = bootstrap_trades(trades["pnl"], initial_equity=float(combined.iloc[0]), n_paths=n_paths, seed=seed)
    elif method == "returns":
        result = bootstrap_returns(combined.pct_change().dropna(), initial_equity=float(combined.iloc[0]),
                                   n_paths=n_paths, seed=seed)
    else:
        raise ConfigError(f"unknown Monte Carlo method {method!r}; use returns or trades")
    data = result.to_dict()
    fan = data.pop("fan")
    params = {"method": method, "n_paths": n_paths, "seed": seed}
    new_id = service.runs.create("montecarlo", strategy=source.strategy, symbols=source.symbols, params=params,
                                 config={"source_run": run_id}, data_hash=source.data_hash,
                                 config_hash=settings_hash("montecarlo", {**params,
                                                                          "source_config": source.config_hash}),
                                 code_version=code_version(), parent_id=run_id, created_by=created_by)
    directory = service._run_dir(new_id)
    pd.DataFrame(fan).to_parquet(directory / "fan.parquet")
    metrics = {"final_equity_p50": data["final_equity"]["p50"], "max_drawdown_pct_p50": data["max_drawdown_pct"]["p50"],
               "sharpe_p50": data["sharpe"]["p50"], "probability_of_loss": data["probability_of_loss"]}
    service.runs.finish(new_id, metrics=metrics, summary=data, artifacts={"fan": str(directory / "fan.parquet")})
    if report:
        service.report(new_id)
    return {"run_id": new_id, "source_run": run_id, **data, "source_backtest_config": dict(backtest_costs(source))}


def optimize(service: ResearchService, method: str, symbols: Sequence[str], *, as_of=None,
             lookback_days: int | None = OPTIMIZE_LOOKBACK_DAYS, weight_bounds: tuple[float, float] = (0.0, 1.0),
             views: Mapping[str, Any] | None = None, target_return: float | None = None,
             target_volatility: float | None = None, total_value: float | None = None,
             created_by: str = "system") -> dict:
    """Optimise weights over the last ``lookback_days`` stored closes known at ``as_of`` (None: every close);
    ``views`` (Black–Litterman, optional: without any the market prior) = {symbol: (annual return, confidence)};
    ``target_return``/``target_volatility`` (annual fractions) for efficient_return/efficient_risk; with
    ``total_value`` (dollars) also the whole-share allocation at the latest closes."""
    from quant.backtest.result import data_hash
    from quant.portfolio.allocation import discrete_allocation
    from quant.portfolio.optimizer import optimize_portfolio

    panels = service.panels(symbols, None, as_of)
    prices = panels["close"].dropna(how="all")
    result = optimize_portfolio(prices, method, as_of=as_of, lookback_days=lookback_days, weight_bounds=weight_bounds,
                                views=views, target_return=target_return, target_volatility=target_volatility)
    data = result.to_dict()
    if total_value:
        latest = prices.ffill().iloc[-1]
        data["allocation"] = discrete_allocation(result.weights, latest.to_dict(), total_value).to_dict()
    params = {"method": method, "lookback_days": lookback_days, "weight_bounds": list(weight_bounds),
              "views": dict(views or {}), "target_return": target_return, "target_volatility": target_volatility,
              "total_value": total_value}
    run_id = service.runs.create("optimize", symbols=list(prices.columns), params=params,
                                 config={"as_of": str(as_of) if as_of else None}, code_version=code_version(),
                                 created_by=created_by)
    headline = {k: data[k] for k in ("sharpe", "expected_annual_return", "annual_volatility")}
    service.runs.finish(run_id, metrics=headline, summary=data, data_hash=data_hash(prices),
                        config_hash=settings_hash("optimize", params))
    return {"run_id": run_id, **data}
