"""Promotion ladder and long-term memory tools. ``request_promotion`` never promotes: it returns the
approval request the graph's approval node turns into an ``interrupt()``.

A promotion named by a research run registers that run's strategy configuration on the ladder
(``strategy_key``: strategy name + symbols, parameters hashed), at draft when new, and carries the
run's metrics as evidence in the ladder's terms (``oos_sharpe``, ``trades``, ``max_drawdown_pct``).
"""

from __future__ import annotations

from typing import Literal

from langchain_core.tools import BaseTool
from pydantic import Field, model_validator

from errors import ConfigError
from tools.collaborators import require
from tools.context import ToolContext
from tools.recollection import RecallArgs, recall
from tools.results import ApprovalRequired, compact_value
from tools.typed_tool import ToolArgs, context_tool

Stage = Literal["backtested", "paper", "live"]
APPROVAL_KIND: dict[str, str] = {"backtested": "strategy", "paper": "paper", "live": "live"}


class PromotionArgs(ToolArgs):
    strategy_id: str | None = Field(default=None, min_length=1, max_length=64)
    run_id: int | None = Field(default=None, ge=1)  # the run backing it
    to_stage: Stage

    @model_validator(mode="after")
    def _names_something(self) -> PromotionArgs:
        if self.strategy_id is None and self.run_id is None:
            raise ValueError("give strategy_id or run_id")
        return self


def strategy_key(strategy: str, symbols: list[str]) -> str:
    """The ladder id of a strategy configuration: ``sma_crossover_aapl_msft`` (at most 64 characters)."""
    return "_".join([strategy, *(s.lower().replace(".", "-") for s in symbols)])[:64]


def _flat_params(strategy: str, params: dict) -> dict:
    """The run's parameters as one configuration (a walk-forward's single-value grid lists unwrapped)."""
    from quant.strategies.registry import validate_params

    flat = {k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in params.items()}
    return validate_params(strategy, flat).model_dump(mode="json")


def run_evidence(run) -> dict:
    """The ladder's evidence from a run: out-of-sample Sharpe only from a walk-forward run."""
    metrics = run.metrics or {}
    evidence: dict = {"run": compact_value({"run_id": run.id, "kind": run.kind, "status": run.status,
                                            "strategy": run.strategy, "symbols": run.symbols})}
    if run.kind == "walkforward" and isinstance(metrics.get("sharpe"), int | float):
        evidence["oos_sharpe"] = metrics["sharpe"]
    if isinstance(metrics.get("trades"), int | float):
        evidence["trades"] = metrics["trades"]
    if isinstance(metrics.get("max_drawdown"), int | float):
        evidence["max_drawdown_pct"] = round(abs(metrics["max_drawdown"]) * 100, 4)
    evidence["metrics"] = compact_value({k: v for k, v in metrics.items() if isinstance(v, int | float)})
    return evidence


def request_promotion(ctx: ToolContext, args: PromotionArgs) -> ApprovalRequired:
    evidence: dict = {"live_trading_enabled": ctx.settings.live_trading} if args.to_stage == "live" else {}
    strategy_id = args.strategy_id
    if args.run_id is not None:
        from memory.runs import RunStore
        from memory.strategies import StrategyRegistry

        database = require(ctx.database, "database")
        run = RunStore(database).get(args.run_id)
        if run.strategy is None:
            raise ConfigError(f"run {run.id} is a {run.kind} run without a strategy; give a backtest or "
                              "walk-forward run", details={"run_id": run.id})
        evidence.update(run_evidence(run))
        if strategy_id is None:
            strategy_id = strategy_key(run.strategy, list(run.symbols))
            if StrategyRegistry(database).get(strategy_id) is None:
                from services.strategies import StrategyService

                StrategyService(database).register(ctx.actor(), strategy_id,
                                                   f"{run.strategy} on {', '.join(run.symbols)}", run.strategy,
                                                   _flat_params(run.strategy, dict(run.params)))
    subject = {"strategy_id": strategy_id, "run_id": args.run_id, "to_stage": args.to_stage}
    return ApprovalRequired(kind=APPROVAL_KIND[args.to_stage], subject=subject, evidence=evidence,
                            requested_by=ctx.user, reason=f"promote to {args.to_stage}")


def build_ladder_tools(ctx: ToolContext) -> list[BaseTool]:
    return [
        context_tool(ctx, "request_promotion", "Ask a human to approve moving a strategy up a stage.", PromotionArgs,
                     request_promotion),
        context_tool(ctx, "recall", "Search long-term memory (past runs, decisions, notes).",
                     RecallArgs, recall),
    ]
