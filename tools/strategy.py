"""Strategy agent tools: strategies, features, models, signals, backtests, walk-forward, Monte Carlo,
portfolio optimisation and run comparison. Each is a thin call into quant/ or the research-run
service; results are run ids and headline numbers."""

from __future__ import annotations

from datetime import date
from typing import Any

from langchain_core.tools import BaseTool
from pydantic import Field, field_validator

from tools.backends import expected, require
from tools.context import ToolContext
from tools.results import Summary, compact_value
from tools.typed_tool import AsOf, Symbol, ToolArgs, typed_tool

MAX_SYMBOLS = 50


class NoArgs(ToolArgs):
    pass


class FeaturesArgs(ToolArgs):
    symbol: Symbol
    lookback: int = Field(default=252, ge=2, le=5000, description="bars of history to compute features on")
    as_of: AsOf = None


class ModelArgs(ToolArgs):
    model_id: str = Field(min_length=1, max_length=128)


class SignalsArgs(ToolArgs):
    strategy: str = Field(min_length=1, max_length=64, description="registered strategy name, e.g. sma_crossover")
    symbols: list[Symbol] = Field(min_length=1, max_length=MAX_SYMBOLS)
    params: dict[str, Any] = Field(default_factory=dict)
    as_of: AsOf = None


class DateRange(ToolArgs):
    start: date | None = None
    end: date | None = None

    @field_validator("end")
    @classmethod
    def _ordered(cls, end: date | None, info) -> date | None:
        start = info.data.get("start")
        if end is not None and start is not None and end < start:
            raise ValueError(f"end {end} is before start {start}")
        return end


class StrategyConfig(ToolArgs):
    strategy: str = Field(min_length=1, max_length=64)
    symbols: list[Symbol] = Field(min_length=1, max_length=MAX_SYMBOLS)
    params: dict[str, Any] = Field(default_factory=dict)


class BacktestArgs(ToolArgs):
    strategy_config: StrategyConfig
    date_range: DateRange = Field(default_factory=DateRange)


class WalkForwardArgs(BacktestArgs):
    n_splits: int = Field(default=5, ge=2, le=50)


class MonteCarloArgs(ToolArgs):
    run_id: int = Field(ge=1)
    n_paths: int = Field(default=1000, ge=10, le=100_000)


class OptimizeArgs(ToolArgs):
    method: str = Field(min_length=1, max_length=32, description="hrp, max_sharpe, min_volatility, risk_parity, ...")
    symbols: list[Symbol] = Field(min_length=2, max_length=MAX_SYMBOLS)
    as_of: AsOf = None
    lookback_days: int | None = Field(default=None, ge=20, le=10_000)


class CompareArgs(ToolArgs):
    run_ids: list[int] = Field(min_length=2, max_length=20)


def _summary(tool: str, value: Any) -> Summary:
    data = compact_value(value)
    return Summary(tool=tool, summary=data if isinstance(data, dict) else {"items": data})


def _bars(ctx: ToolContext, symbols: list[str], as_of, start=None):
    from memory.bars import BarStore

    return BarStore(require(ctx.database, "database")).read(symbols, start, as_of=ctx.as_of(as_of))


def _runs(ctx: ToolContext):
    return expected("research_runs")(require(ctx.database, "database"))


def list_strategies(ctx: ToolContext, args: NoArgs) -> Summary:
    return _summary("list_strategies", {"strategies": expected("list_strategies")()})


def compute_features(ctx: ToolContext, args: FeaturesArgs) -> Summary:
    import pandas as pd

    as_of = ctx.as_of(args.as_of)
    # twice the lookback in calendar days covers the bars plus weekends and holidays
    bars = _bars(ctx, [args.symbol], as_of, start=as_of - pd.Timedelta(days=2 * args.lookback + 30))
    features = expected("compute_features")(bars.tail(args.lookback))
    last = features.iloc[-1].to_dict() if len(features) else {}
    return _summary("compute_features", {"symbol": args.symbol, "as_of": as_of.isoformat(), "rows": len(features),
                                         "columns": list(features.columns)[:40], "last_row": last})


def load_model(ctx: ToolContext, args: ModelArgs) -> Summary:
    registry = expected("model_registry")(require(ctx.database, "database"))
    return _summary("load_model", registry.describe(args.model_id))


def generate_signals(ctx: ToolContext, args: SignalsArgs) -> Summary:
    params = expected("validate_params")(args.strategy, args.params)
    strategy = expected("get_strategy")(args.strategy)
    as_of = ctx.as_of(args.as_of)
    signals = strategy.signals(_bars(ctx, args.symbols, as_of), **dict(params))
    latest = signals.iloc[-1].to_dict() if len(signals) else {}
    return _summary("generate_signals", {"strategy": args.strategy, "as_of": as_of.isoformat(), "latest": latest})


def backtest_strategy(ctx: ToolContext, args: BacktestArgs) -> Summary:
    cfg, rng = args.strategy_config, args.date_range
    return _summary("backtest_strategy", _runs(ctx).backtest(cfg.strategy, cfg.symbols, cfg.params, rng.start, rng.end,
                                                             as_of=ctx.as_of(None), requested_by=ctx.user))


def run_walk_forward(ctx: ToolContext, args: WalkForwardArgs) -> Summary:
    cfg, rng = args.strategy_config, args.date_range
    return _summary("run_walk_forward", _runs(ctx).walk_forward(cfg.strategy, cfg.symbols, cfg.params, rng.start,
                                                                rng.end, n_splits=args.n_splits,
                                                                as_of=ctx.as_of(None), requested_by=ctx.user))


def run_monte_carlo(ctx: ToolContext, args: MonteCarloArgs) -> Summary:
    return _summary("run_monte_carlo", _runs(ctx).monte_carlo(args.run_id, n_paths=args.n_paths))


def compare_runs(ctx: ToolContext, args: CompareArgs) -> Summary:
    store = expected("run_store")(require(ctx.database, "database"))
    rows = [{"run_id": r.id, "kind": r.kind, "status": r.status, "strategy": r.strategy, **r.metrics}
            for r in (store.get(i) for i in args.run_ids)]
    return _summary("compare_runs", {"runs": rows})


def optimize_portfolio(ctx: ToolContext, args: OptimizeArgs) -> Summary:
    from quant.data.schema import close_panel

    method = args.method.strip().lower().replace("-", "_").replace(" ", "_")
    as_of = ctx.as_of(args.as_of)
    prices = close_panel(_bars(ctx, args.symbols, as_of))
    result = expected("optimize_portfolio")(prices, method, as_of=as_of, lookback_days=args.lookback_days)
    return _summary("optimize_portfolio", result)


def build_strategy_tools(ctx: ToolContext) -> list[BaseTool]:
    specs = [
        ("list_strategies", "Registered strategies with their parameters.", NoArgs, list_strategies),
        ("compute_features", "Feature summary (columns, last row) of one symbol over a lookback, at as_of.",
         FeaturesArgs, compute_features),
        ("load_model", "Describe a stored model by id (kind, features, training window, metrics).", ModelArgs,
         load_model),
        ("generate_signals", "Latest signals of a registered strategy for symbols at as_of.", SignalsArgs,
         generate_signals),
        ("backtest_strategy", "Backtest a strategy config over a date range; returns run_id and headline metrics.",
         BacktestArgs, backtest_strategy),
        ("run_walk_forward", "Walk-forward (out-of-sample) evaluation; returns run_id and OOS metrics.",
         WalkForwardArgs, run_walk_forward),
        ("run_monte_carlo", "Monte Carlo resampling of a stored run's returns; percentiles of outcomes.",
         MonteCarloArgs, run_monte_carlo),
        ("optimize_portfolio", "Target weights for symbols by method (hrp, max_sharpe, min_volatility, "
         "risk_parity, ...) from prices known at as_of.", OptimizeArgs, optimize_portfolio),
        ("compare_runs", "Side-by-side headline metrics of stored runs.", CompareArgs, compare_runs),
    ]
    return [typed_tool(name, text, schema, lambda a, fn=fn: fn(ctx, a)) for name, text, schema, fn in specs]
