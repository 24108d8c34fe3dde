"""A turn's model spend against its caps: the budget in the state, refreshed from the usage ledger.

What stops a turn is exactly what the ledger shows (``services.usage_ledger``): the agent node reads the
turn's sums before and after every model call.
"""

from __future__ import annotations

from typing import Any

from graph.context import GraphContext


def spent_so_far(budget: dict[str, Any], ctx: GraphContext, turn_id: str | None) -> dict[str, Any]:
    """The budget with this turn's model spend as the usage ledger has it."""
    if turn_id is None:
        return budget
    sums = ctx.usage.turn(turn_id)
    return {**budget, "usd_used": round(float(sums.cost_usd), 6), "model_calls": sums.calls,
            "tokens_used": sums.input_tokens + sums.output_tokens}


def over_budget(budget: dict[str, Any]) -> tuple[str, str] | None:
    """(stop reason, the sentence for the user) when the turn's model spend reached a cap, else None."""
    if budget["max_usd"] > 0 and budget["usd_used"] >= budget["max_usd"]:
        return "budget_usd", (f"the model budget of ${budget['max_usd']:,.2f} per turn is spent "
                              f"(${budget['usd_used']:,.4f} used)")
    if budget.get("max_tokens", 0) > 0 and budget["tokens_used"] >= budget["max_tokens"]:
        return "budget_tokens", (f"the model budget of {budget['max_tokens']:,} tokens per turn is spent "
                                 f"({budget['tokens_used']:,} used)")
    return None
