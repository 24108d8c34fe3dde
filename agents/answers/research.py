"""Answers for research results: a backtest, a walk-forward, a Monte Carlo, a comparison of runs and a portfolio
optimisation. Each leads with the run id and what ran on what, then the headline figures, then what to ask next."""

from __future__ import annotations

from typing import Any

from agents.answers.outcome import ToolOutcome, View, typed
from agents.answers.phrasing import figures, params_text, sentence
from quant.display import (
    DASH,
    allocation_summary,
    cost_summary,
    count,
    counted,
    day,
    format_metric,
    joined,
    money,
    number,
    percent,
    percent_points,
    text_table,
)


class RunView(View):
    run_id: int
    kind: str = "backtest"
    strategy: str | None = None
    symbols: list[str] = []
    params: dict[str, Any] = {}
    start: str | None = None
    end: str | None = None
    equity_final: float | None = None
    metrics: dict[str, Any] = {}
    n_folds: int | None = None
    overfitting: dict[str, Any] | None = None
    costs: dict[str, Any] = {}


def _what(run: RunView) -> str:
    setup = params_text(run.params)
    strategy = f"{run.strategy} ({setup})" if setup else str(run.strategy)
    period = f", {day(run.start)} to {day(run.end)}" if run.start and run.end else ""
    return f"{strategy} on {joined(run.symbols)}{period}"


def write_run(outcome: ToolOutcome) -> str:
    """A backtest or walk-forward run: what ran, its figures, the overfitting check, and the next step."""
    run = typed(RunView, outcome.data)
    if run is None:
        return ""
    walk = run.kind == "walkforward"
    head = (f"Walk-forward run {run.run_id} (out of sample"
            + (f", {counted(run.n_folds, 'fold')})" if run.n_folds else ")") if walk else f"Backtest run {run.run_id}")
    lines = [f"{head}: {_what(run)}."]
    shown = figures(run.metrics)
    if shown:
        lines.append(sentence(shown))
    if run.equity_final is not None and "final_equity" not in run.metrics:
        lines.append(f"Final equity {money(run.equity_final)}.")
    if run.costs:  # what it assumed, as the CLI and the web page say it
        lines.append(f"Costs: {cost_summary(run.costs)}.")
    lines.extend(_overfitting(run.overfitting))
    lines.append(f'Next: "promote run {run.run_id} to backtested" asks for the strategy review, then "to paper" '
                 "for paper trading." if walk else f'Next: "run a walk-forward of it" tests it out of sample; '
                 f'"promote run {run.run_id} to backtested" asks for the strategy review.')
    return "\n".join(lines)


def _overfitting(block: dict[str, Any] | None) -> list[str]:
    if not block:
        return []
    parts = [figures(block, ("deflated_sharpe", "pbo"))]
    if block.get("n_trials"):
        parts.append(f"{counted(block['n_trials'], 'parameter set')} tried")
    shown = ", ".join(p for p in parts if p)
    return [f"Overfitting check: {shown}."] if shown else []


def write_monte_carlo(outcome: ToolOutcome) -> str:
    data = outcome.data
    if "final_equity" not in data:
        return ""
    final, drawdown, sharpe = (data.get(k) or {} for k in ("final_equity", "max_drawdown_pct", "sharpe"))
    lines = [f"Monte Carlo run {data.get('run_id')} of run {data.get('source_run')}: "
             f"{counted(data.get('n_paths'), 'resampled path')} of {data.get('method', 'returns')}."]
    lines.append(f"Final equity: median {money(final.get('p50'))} (5th to 95th percentile {money(final.get('p5'))} "
                 f"to {money(final.get('p95'))}), starting from {money(data.get('initial_equity'))}.")
    lines.append(f"Max drawdown: median {percent_points(drawdown.get('p50'))}, 95th percentile "
                 f"{percent_points(drawdown.get('p95'))}. Sharpe: median {number(sharpe.get('p50'))}, "
                 f"5th percentile {number(sharpe.get('p5'))}.")
    lines.append(f"Probability of ending with a loss: {percent(data.get('probability_of_loss'), 1)}.")
    return "\n".join(lines)


_COMPARED = ("sharpe", "total_return", "max_drawdown", "trade_count")
_BEST = (("sharpe", "best Sharpe"), ("total_return", "best total return"), ("max_drawdown", "shallowest drawdown"))


def write_comparison(outcome: ToolOutcome) -> str:
    runs = [r for r in outcome.data.get("runs") or [] if isinstance(r, dict)]
    if not runs:
        return ""
    best = outcome.data.get("best") or {}
    verdict = "; ".join(f"{label}: run {best[key]}" for key, label in _BEST if key in best)
    rows = [[str(r.get("run_id")), str(r.get("kind") or DASH), str(r.get("strategy") or DASH),
             *(format_metric(k, r.get(k)) for k in _COMPARED)] for r in runs]
    table = text_table(["run", "kind", "strategy", "Sharpe", "total return", "max drawdown", "trades"], rows)
    head = f"Runs {joined(str(r.get('run_id')) for r in runs)} side by side" + (f" ({verdict})" if verdict else "")
    return f"{head}:\n{table}"


def _method(name: str) -> str:
    words = str(name).replace("_", " ")
    return words.upper() if len(words) <= 3 else words


def write_optimisation(outcome: ToolOutcome) -> str:
    data = outcome.data
    weights = data.get("weights")
    if not isinstance(weights, dict) or not weights:
        return ""
    ordered = sorted(weights.items(), key=lambda kv: -(kv[1] or 0))
    allocation = data.get("allocation") if isinstance(data.get("allocation"), dict) else None
    shares = (allocation or {}).get("shares") or {}
    table = text_table(["symbol", "weight", *(["shares"] if allocation else [])],
                       [[s, percent(w), *([count(shares.get(s, 0))] if allocation else [])]
                        for s, w in ordered])
    known = f" (prices up to {day(data.get('as_of'))})" if data.get("as_of") else ""
    run = f" (run {data['run_id']})" if data.get("run_id") is not None else ""
    lines = [f"{_method(data.get('method', 'optimised'))} weights{run} for {joined(s for s, _ in ordered)}{known}:",
             table]
    tail = figures({"expected_return": data.get("expected_annual_return"), "volatility": data.get("annual_volatility"),
                    "sharpe": data.get("sharpe")}, ("expected_return", "volatility", "sharpe"))
    if tail:
        lines.append(sentence(tail))
    if allocation:  # the CLI's --value line, in the same words
        lines.append(sentence(allocation_summary(allocation)))
    return "\n".join(lines)
