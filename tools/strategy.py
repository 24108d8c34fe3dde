"""Strategy agent tools: strategies, features, models, signals, backtests, walk-forward, Monte Carlo,
portfolio optimisation and run comparison. Each is a thin call into quant/ or the research-run
service; results are run ids and headline numbers."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.tools import BaseTool
from pydantic import Field, field_validator

from errors import DataError
from services.research import defaults
from tools.collaborators import require
from tools.context import ToolContext
from tools.grounding import grounded
from tools.recollection import remember_run
from tools.results import Summary, Unavailable, compact_value
from tools.typed_tool import AsOf, Symbol, ToolArgs, context_tool

if TYPE_CHECKING:
    from services.research import ResearchService

# pandas, numba (the strategies' kernels) and the research service are imported by the tools that run them, not
# here: building the tools, as every graph does (resuming an approval too), only needs their argument schemas

MAX_SYMBOLS = 50
MAX_FOLDS_SHOWN = 12


class NoArgs(ToolArgs):
    pass


class FeaturesArgs(ToolArgs):
    symbol: Symbol
    lookback: int = Field(default=252, ge=2, le=5000, description="bars")
    as_of: AsOf = None


class ModelArgs(ToolArgs):
    model_id: str = Field(min_length=1, max_length=128)


class SignalsArgs(ToolArgs):
    strategy: str = Field(min_length=1, max_length=64, description="e.g. sma_crossover")
    symbols: list[Symbol] = Field(min_length=1, max_length=MAX_SYMBOLS)
    params: dict[str, Any] = Field(default_factory=dict)
    as_of: AsOf = None


class DateRange(ToolArgs, json_schema_extra={"x-lean": "start, end: ISO dates"}):
    start: date | None = None
    end: date | None = None

    @field_validator("end")
    @classmethod
    def _ordered(cls, end: date | None, info) -> date | None:
        start = info.data.get("start")
        if end is not None and start is not None and end < start:
            raise ValueError(f"end {end} is before start {start}")
        return end


class StrategyConfig(ToolArgs, json_schema_extra={"x-lean": "{strategy, symbols: [tickers], params}"}):
    strategy: str = Field(min_length=1, max_length=64)
    symbols: list[Symbol] = Field(min_length=1, max_length=MAX_SYMBOLS)
    params: dict[str, Any] = Field(default_factory=dict)


class Costs(ToolArgs, json_schema_extra={"x-lean": "$: initial_capital, commission_per_order, "
                                                    "commission_per_share; bps: commission_bps, slippage_bps"}):
    """What a simulated run charges; each one left out keeps the backtest's default (the CLI's and the API's).
    The model sees it as one object named by ``x-lean`` (its fields are validated all the same)."""

    initial_capital: float | None = Field(default=None, gt=0, le=1e12, description="starting capital, dollars")
    commission_per_order: float | None = Field(default=None, ge=0, le=10_000, description="dollars per order")
    commission_per_share: float | None = Field(default=None, ge=0, le=100, description="dollars per share")
    commission_bps: float | None = Field(default=None, ge=0, le=1_000, description="basis points of the notional")
    slippage_bps: float | None = Field(default=None, ge=0, le=1_000, description="basis points against the trade")

    def overrides(self) -> dict[str, float] | None:
        """The ``BacktestConfig`` fields given (None when none was)."""
        return self.model_dump(exclude_none=True) or None


COST_FIELDS = tuple(Costs.model_fields)


class BacktestArgs(ToolArgs):
    strategy_config: StrategyConfig
    date_range: DateRange = Field(default_factory=DateRange)
    costs: Costs = Field(default_factory=Costs, description="starting capital, commissions and slippage")


class WalkForwardArgs(BacktestArgs):
    in_sample_days: int = Field(default=defaults.WALK_FORWARD_IN_SAMPLE_DAYS, ge=20, le=5000,
                                description="bars to fit")
    out_of_sample_days: int = Field(default=defaults.WALK_FORWARD_OUT_OF_SAMPLE_DAYS, ge=5, le=2000,
                                    description="bars to score")
    window: Literal["rolling", "anchored"] = defaults.WALK_FORWARD_WINDOW


class MonteCarloArgs(ToolArgs):
    run_id: int = Field(ge=1)
    n_paths: int = Field(default=defaults.MONTE_CARLO_PATHS, ge=10, le=100_000)


class OptimizeArgs(ToolArgs):
    method: str = Field(min_length=1, max_length=32, description="max_sharpe, hrp, black_litterman, ...")
    symbols: list[Symbol] = Field(min_length=2, max_length=MAX_SYMBOLS)
    as_of: AsOf = None
    lookback_days: int = Field(default=defaults.OPTIMIZE_LOOKBACK_DAYS, ge=20, le=10_000,
                               description="sessions")
    views: dict[Symbol, tuple[float, float]] | None = Field(
        default=None, description="symbol -> [annual return, confidence]")
    target_return: float | None = Field(default=None, ge=-1, le=10, description="annual")
    target_volatility: float | None = Field(default=None, gt=0, le=10, description="annual")
    total_value: float | None = Field(default=None, gt=0, le=1e12, description="dollars")


class CompareArgs(ToolArgs):
    run_ids: list[int] = Field(min_length=2, max_length=20)


def _summary(tool: str, value: Any) -> Summary:
    data = compact_value(value)
    return Summary(tool=tool, summary=data if isinstance(data, dict) else {"items": data})


def _bars(ctx: ToolContext, symbols: list[str], as_of, start=None):
    from memory.bars import BarStore

    return BarStore(require(ctx.database, "database")).read(symbols, start, as_of=ctx.as_of(as_of))


def research_service(ctx: ToolContext) -> ResearchService:
    from services.research import ResearchService

    return ResearchService(require(ctx.database, "database"), artifacts_dir=ctx.settings.artifacts_dir,
                           actor=ctx.actor())


def _run_headline(run: dict[str, Any]) -> dict[str, Any]:
    """run_id, what ran on what, and the headline metrics — never curves or trades."""
    from services.research.service import headline

    metrics = run.get("metrics") or {}
    summary = run.get("summary") or {}
    config = run.get("config") or {}
    traded_with = config.get("backtest", config)  # a walk-forward keeps its backtest config apart
    return {"run_id": run["run_id"], "kind": run["kind"], "status": run["status"], "strategy": run["strategy"],
            "symbols": run["symbols"], "params": run["params"], "start": summary.get("start"),
            "end": summary.get("end"), "equity_final": run.get("equity_final") or summary.get("equity_final"),
            "metrics": {**headline(metrics), "trades": metrics.get("trades")},
            "costs": {k: traded_with[k] for k in COST_FIELDS if k in traded_with}}


def list_strategies(ctx: ToolContext, args: NoArgs) -> Summary:
    from quant.strategies import registry

    specs = registry.list_strategies()
    return _summary("list_strategies", {"strategies": [s.name for s in specs],
                                        "descriptions": {s.name: s.description for s in specs},
                                        "defaults": {s.name: s.defaults for s in specs}})


def compute_features(ctx: ToolContext, args: FeaturesArgs) -> Summary:
    """Features of the last ``lookback`` stored bars known at ``as_of``, however old they are (the answer says
    when the last bar was)."""
    import pandas as pd

    from memory.bars import BarStore
    from quant.features.features import FeaturePipeline

    (symbol,) = grounded(ctx, [args.symbol])
    as_of = ctx.as_of(args.as_of)
    last = BarStore(require(ctx.database, "database")).latest([symbol], as_of=as_of)
    if last.empty:
        raise DataError(f"no bars of {symbol} known at {as_of.date()}", details={"symbol": symbol})
    # the window ends at the last bar known at as_of, however old (the answer says its date); 1.5 calendar days
    # per bar covers weekends and holidays; +130 bars warm up the longest momentum window
    newest = pd.Timestamp(last["ts"].iloc[-1])
    bars = _bars(ctx, [symbol], as_of, start=newest - pd.Timedelta(days=int((args.lookback + 130) * 1.5) + 10))
    features = FeaturePipeline().compute(bars).xs(symbol, level="symbol").tail(args.lookback)
    last = {k: (None if pd.isna(v) else round(float(v), 6)) for k, v in features.iloc[-1].items()}
    return _summary("compute_features", {"symbol": symbol, "as_of": as_of.isoformat(), "rows": len(features),
                                         "first_ts": features.index[0].isoformat(),
                                         "last_ts": features.index[-1].isoformat(), "last_row": last})


def load_model(ctx: ToolContext, args: ModelArgs) -> Unavailable:
    return Unavailable(tool="load_model", reason="no model registry is built yet; trained models are not stored",
                       missing="model registry")


def generate_signals(ctx: ToolContext, args: SignalsArgs) -> Summary:
    import pandas as pd

    from quant.backtest.panels import panels_from_bars
    from quant.strategies import registry

    symbols = grounded(ctx, args.symbols)
    params = registry.validate_params(args.strategy, args.params)
    as_of = ctx.as_of(args.as_of)
    bars = _bars(ctx, symbols, as_of)
    if bars.empty:
        raise DataError(f"no bars of {', '.join(symbols)} known at {as_of.date()}", details={"symbols": symbols})
    signals = registry.get_strategy(args.strategy).signals(panels_from_bars(bars), params)
    latest = signals.ffill().iloc[-1]
    return _summary("generate_signals", {
        "strategy": args.strategy, "params": params.model_dump(mode="json"), "as_of": as_of.isoformat(),
        "signal_ts": signals.index[-1].isoformat(),
        "latest": {s: (None if pd.isna(v) else float(v)) for s, v in latest.items()}})


def run_research(ctx: ToolContext, kind: str, request: dict[str, Any]) -> dict[str, Any]:
    """``kind`` for the context's person, placed as every research request is (``services.research.placement``:
    admitted under the budget and quotas, then in a worker process when this process serves jobs); made
    without an HTML report (the run's page renders one when asked)."""
    from services.research.placement import ResearchPlacement

    placement = ResearchPlacement(require(ctx.database, "database"), settings=ctx.settings,
                                  artifacts_dir=ctx.settings.artifacts_dir)
    return placement.run(ctx.actor(), kind, {**request, "report": False})


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def backtest_strategy(ctx: ToolContext, args: BacktestArgs) -> Summary:
    cfg, rng = args.strategy_config, args.date_range
    symbols = grounded(ctx, cfg.symbols)
    run = run_research(ctx, "backtest", {
        "strategy": cfg.strategy, "symbols": symbols, "params": cfg.params, "start": _day(rng.start),
        "end": _day(rng.end), "as_of": ctx.as_of(None).isoformat(), "config": args.costs.overrides()})
    result = _run_headline(run)
    remember_run(ctx, result)
    return _summary("backtest_strategy", result)


def overfitting_headline(block: dict[str, Any] | None) -> dict[str, Any] | None:
    """The "is this luck?" fields of a grid's or walk-forward's overfitting block, without internals."""
    if not block:
        return None
    keys = ("verdict", "deflated_sharpe", "oos_deflated_sharpe", "pbo", "n_trials")
    return {k: block[k] for k in keys if k in block}


def run_walk_forward(ctx: ToolContext, args: WalkForwardArgs) -> Summary:
    from services.research.service import walk_forward_grid

    cfg, rng = args.strategy_config, args.date_range
    symbols = grounded(ctx, cfg.symbols)
    grid = walk_forward_grid(cfg.strategy, cfg.params)
    run = run_research(ctx, "walk_forward", {
        "strategy": cfg.strategy, "symbols": symbols, "grid": grid, "start": _day(rng.start), "end": _day(rng.end),
        "as_of": ctx.as_of(None).isoformat(), "window": args.window, "in_sample_days": args.in_sample_days,
        "out_of_sample_days": args.out_of_sample_days, "config": args.costs.overrides()})
    result = _run_headline(run)
    folds = (run.get("summary") or {}).get("folds") or []
    result.update(out_of_sample=True, n_folds=len(folds),
                  start=folds[0]["oos_start"] if folds else None, end=folds[-1]["oos_end"] if folds else None,
                  folds=[{"fold": f["fold"], "params": f["params"], "oos_sharpe": f["metrics"].get("sharpe")}
                         for f in folds[:MAX_FOLDS_SHOWN]],
                  overfitting=overfitting_headline((run.get("summary") or {}).get("overfitting")))
    remember_run(ctx, result)
    return _summary("run_walk_forward", result)


def run_monte_carlo(ctx: ToolContext, args: MonteCarloArgs) -> Summary:
    result = run_research(ctx, "monte_carlo", {"source_run_id": args.run_id, "n_paths": args.n_paths})
    return _summary("run_monte_carlo", result)


def compare_runs(ctx: ToolContext, args: CompareArgs) -> Summary:
    return _summary("compare_runs", research_service(ctx).compare(args.run_ids))


def optimize_portfolio(ctx: ToolContext, args: OptimizeArgs) -> Summary:
    """The research service's optimisation (the CLI's and the API's too): the same lookback and the same answer,
    recorded as a run."""
    symbols = grounded(ctx, args.symbols)
    method = args.method.strip().lower().replace("-", "_").replace(" ", "_")
    result = run_research(ctx, "optimize", {
        "method": method, "symbols": symbols, "as_of": ctx.as_of(args.as_of).isoformat(),
        "lookback_days": args.lookback_days, "views": {s: list(v) for s, v in (args.views or {}).items()} or None,
        "target_return": args.target_return, "target_volatility": args.target_volatility,
        "total_value": args.total_value})
    return _summary("optimize_portfolio", result)


def build_strategy_tools(ctx: ToolContext) -> list[BaseTool]:
    specs = [
        ("list_strategies", "Registered strategies with their parameters.", NoArgs, list_strategies),
        ("compute_features", "Features of one symbol over a lookback.",
         FeaturesArgs, compute_features),
        ("load_model", "Describe a stored model.", ModelArgs,
         load_model),
        ("generate_signals", "Latest signals of a strategy.", SignalsArgs,
         generate_signals),
        ("backtest_strategy", "Backtest a strategy; returns run_id and metrics.",
         BacktestArgs, backtest_strategy),
        ("run_walk_forward", "Walk-forward test; list params are searched per fold.",
         WalkForwardArgs, run_walk_forward),
        ("run_monte_carlo", "Monte Carlo of a stored run's returns.",
         MonteCarloArgs, run_monte_carlo),
        ("optimize_portfolio", "Portfolio weights by method.", OptimizeArgs, optimize_portfolio),
        ("compare_runs", "Metrics of stored runs side by side.", CompareArgs, compare_runs),
    ]
    return [context_tool(ctx, name, text, schema, fn) for name, text, schema, fn in specs]
