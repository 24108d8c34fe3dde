"""Long-term memory from the tools' side: remember research conclusions, recall by meaning.

A finished backtest or walk-forward is remembered for the user who ran it as one sentence with
its headline numbers (redacted first), so a later "what did we conclude about AAPL?" finds it.
Remembering never fails a tool: a memory that cannot be stored is reported in the result.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import Field
from sqlalchemy.exc import SQLAlchemyError

from errors import QuantpilotError
from guardrails.redaction import RedactingFilter, redact, redact_value
from tools.collaborators import require
from tools.context import ToolContext
from tools.results import Summary, compact_value
from tools.typed_tool import ToolArgs

log = logging.getLogger("quantpilot.tools.memory")
log.addFilter(RedactingFilter())

_METRICS_SAID = (("sharpe", "Sharpe {:.2f}"), ("total_return", "total return {:.1%}"),
                 ("max_drawdown", "max drawdown {:.1%}"), ("trades", "{:.0f} trades"))


class RecallArgs(ToolArgs):
    query: str = Field(min_length=2, max_length=500)
    k: int = Field(default=5, ge=1, le=20)


def conclusion_text(result: dict[str, Any]) -> str:
    """One sentence: which run, what it tested on which symbols and dates, and its headline metrics."""
    kind = "Walk-forward (out-of-sample)" if result.get("kind") == "walkforward" else "Backtest"
    metrics = result.get("metrics") or {}
    said = [fmt.format(metrics[k]) for k, fmt in _METRICS_SAID if isinstance(metrics.get(k), int | float)]
    params = ", ".join(f"{k} {v[0] if isinstance(v, list) and len(v) == 1 else v}"
                       for k, v in (result.get("params") or {}).items() if v is not False)
    return (f"{kind} run {result['run_id']}: {result.get('strategy')} ({params}) on "
            f"{', '.join(result.get('symbols') or [])} from {result.get('start')} to {result.get('end')}: "
            f"{', '.join(said) or 'no metrics'}.")


def remember_run(ctx: ToolContext, result: dict[str, Any]) -> None:
    """Store the run's conclusion for ``ctx.user``; sets ``result['remembered']`` to the memory id or None."""
    memory = ctx.memory()
    if memory is None:
        result["remembered"] = None
        return
    try:
        result["remembered"] = memory.remember(
            ctx.user, "backtest_conclusion", redact(conclusion_text(result)),
            redact_value({"run_id": result["run_id"], "kind": result.get("kind"), "thread_id": ctx.thread_id}))
    except (QuantpilotError, SQLAlchemyError, OSError) as exc:
        log.warning("could not remember run %s: %s", result.get("run_id"), exc)
        result["remembered"] = None


def recall(ctx: ToolContext, args: RecallArgs) -> Summary:
    """The user's memories closest in meaning to the query, best first, with similarity scores."""
    memory = require(ctx.memory(), "long-term memory")
    hits = memory.recall(ctx.user, args.query, k=args.k)
    rows = [{"id": h.id, "kind": h.kind.value, "score": round(h.score, 4), "text": h.text,
             "created_at": h.created_at.isoformat() if h.created_at else None} for h in hits]
    return Summary(tool="recall", summary={"query": args.query, "hits": compact_value(rows)})
