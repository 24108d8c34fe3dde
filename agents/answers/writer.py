"""``write_answer``: the deterministic answer to a turn, from its tool outcomes, one paragraph per outcome.

Each tool has its writer (by result family: research, strategy info, data, risk, trading, operations);
refusals, errors and human decisions have theirs whatever the tool. A result no writer knows is written as
its plain fields. The text quotes only the tools' own numbers, formatted for people (``quant.display``), so
the grounding check accepts it: the offline planner answers with it, and it replaces a real model's answer
that fails the check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from agents.answers import data, operations, research, risk, strategy_info, trading
from agents.answers.outcome import ToolOutcome
from agents.answers.phrasing import tool_words
from agents.answers.statuses import STATUS_WRITERS, write_plain

Writer = Callable[[ToolOutcome], str]

WRITERS: dict[str, Writer] = {
    "fetch_historical_data": data.write_bars,
    "validate_data_quality": data.write_quality,
    "check_data_freshness": data.write_freshness,
    "fetch_news": data.write_news,
    "list_strategies": strategy_info.write_strategies,
    "compute_features": strategy_info.write_features,
    "generate_signals": strategy_info.write_signals,
    "backtest_strategy": research.write_run,
    "run_walk_forward": research.write_run,
    "run_monte_carlo": research.write_monte_carlo,
    "compare_runs": research.write_comparison,
    "optimize_portfolio": research.write_optimisation,
    "check_position_size": risk.write_size_check,
    "compute_portfolio_exposure": risk.write_exposure,
    "check_kill_switch": risk.write_breaker_check,
    "set_kill_switch": risk.write_kill_switch,
    "generate_risk_report": risk.write_risk_report,
    "get_risk_limits": risk.write_limits,
    "stress_test": risk.write_stress,
    "place_order": trading.write_order,
    "check_order_status": trading.write_order,
    "get_positions": trading.write_positions,
    "reconcile_positions": trading.write_reconciliation,
    "collect_metrics": operations.write_metrics,
    "check_service_health": operations.write_health,
    "send_alert": operations.write_alert,
    "generate_daily_summary": operations.write_daily_summary,
    "recall": operations.write_recall,
}


def write_one(outcome: ToolOutcome) -> str:
    """The paragraph for one outcome: its status's writer, else its tool's, else its plain fields."""
    if not isinstance(outcome.payload, dict):
        return f"{tool_words(outcome.name).capitalize()}: {str(outcome.payload)[:300]}"
    by_status = STATUS_WRITERS.get(outcome.status)
    text = by_status(outcome) if by_status else WRITERS.get(outcome.name, write_plain)(outcome)
    return text or write_plain(outcome)


def write_answer(outcomes: Sequence[ToolOutcome]) -> str:
    """The answer to a turn with these outcomes (in call order); a repeated identical paragraph is written once."""
    paragraphs: list[str] = []
    for outcome in outcomes:
        text = write_one(outcome)
        if text not in paragraphs:
            paragraphs.append(text)
    return "\n\n".join(paragraphs) if paragraphs else "Nothing was run."
