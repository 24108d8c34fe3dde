"""Promotion ladder and long-term memory tools. ``request_promotion`` never promotes: it returns the
approval request the graph's approval node turns into an ``interrupt()``."""

from __future__ import annotations

from typing import Literal

from langchain_core.tools import BaseTool
from pydantic import Field, model_validator

from tools.backends import ServiceUnavailable, expected, require
from tools.context import ToolContext
from tools.results import ApprovalRequired, Summary, compact_value
from tools.typed_tool import ToolArgs, typed_tool

Stage = Literal["backtested", "paper", "live"]
APPROVAL_KIND: dict[str, str] = {"backtested": "strategy", "paper": "paper", "live": "live"}


class PromotionArgs(ToolArgs):
    strategy_id: str | None = Field(default=None, min_length=1, max_length=64)
    run_id: int | None = Field(default=None, ge=1, description="the backtest/walk-forward run backing the request")
    to_stage: Stage

    @model_validator(mode="after")
    def _names_something(self) -> PromotionArgs:
        if self.strategy_id is None and self.run_id is None:
            raise ValueError("give strategy_id or run_id")
        return self


class RecallArgs(ToolArgs):
    query: str = Field(min_length=2, max_length=500)
    k: int = Field(default=5, ge=1, le=20)


def request_promotion(ctx: ToolContext, args: PromotionArgs) -> ApprovalRequired:
    evidence: dict = {"live_trading_enabled": ctx.settings.live_trading} if args.to_stage == "live" else {}
    strategy_id = args.strategy_id
    if args.run_id is not None:
        try:
            run = expected("run_store")(require(ctx.database, "database")).get(args.run_id)
        except ServiceUnavailable as exc:
            evidence["run"] = {"unavailable": exc.message}
        else:
            strategy_id = strategy_id or run.strategy
            evidence["run"] = compact_value({"run_id": run.id, "kind": run.kind, "status": run.status,
                                             "strategy": run.strategy, "metrics": run.metrics})
            evidence.update(compact_value(run.metrics))
    subject = {"strategy_id": strategy_id, "run_id": args.run_id, "to_stage": args.to_stage}
    return ApprovalRequired(kind=APPROVAL_KIND[args.to_stage], subject=subject, evidence=evidence,
                            requested_by=ctx.user, reason=f"promote to {args.to_stage}")


def recall(ctx: ToolContext, args: RecallArgs) -> Summary:
    embedder = expected("embedder")()
    memory = expected("long_term_memory")(require(ctx.database, "database"), embedder)
    hits = memory.recall(ctx.user, args.query, k=args.k)
    return Summary(tool="recall", summary={"query": args.query, "hits": compact_value(hits)})


def build_ladder_tools(ctx: ToolContext) -> list[BaseTool]:
    return [
        typed_tool("request_promotion", "Ask to move a strategy up the ladder (backtested, paper, live). Returns "
                   "approval_required with the evidence; a human decides.", PromotionArgs,
                   lambda a: request_promotion(ctx, a)),
        typed_tool("recall", "Search long-term memory (past runs, decisions, notes) for a query.", RecallArgs,
                   lambda a: recall(ctx, a)),
    ]
