"""What the web page of one research run shows, for every run kind: the facts and metrics written by
``quant.display``, the costs it assumed, its pictures (equity and drawdown with sleeves that add up to the total,
the grid's heatmap, the Monte Carlo fan, the weights) as plotly JSON, and its folds, best sets or percentiles."""

from __future__ import annotations

from typing import Any

from guardrails.policy import Actor
from memory.db import Database
from memory.runs import RunRecord
from quant import display

MAX_BEST_SETS = 10


def _json(fig: dict[str, Any]) -> str:
    import plotly.io as pio

    # the figure is plain data built by ``quant.reports.charts`` (nothing for plotly to validate); "</" made
    # inert inside the page's <script type="application/json">
    return pio.to_json(fig, validate=False).replace("</", "<\\/")


def _figures(record: RunRecord, source: RunRecord) -> list[tuple[str, str]]:
    from quant.reports import charts
    from services.research.curves import account_curves, combined_equity
    from services.research.reports import artifact_frame

    figures = []
    equity = artifact_frame(source.artifacts, "equity")
    if equity is not None and len(equity) > 1:
        total = combined_equity(equity)
        figures.append(("equity-chart", _json(charts.equity_chart(account_curves(equity)))))
        figures.append(("drawdown-chart", _json(charts.drawdown_chart(total))))
    surface = artifact_frame(record.artifacts, "surface")
    if record.kind == "grid" and surface is not None and not surface.empty:
        score = next(c for c in surface.columns if c.startswith("objective_"))
        figures.append(("grid-heatmap", _json(charts.grid_heatmap(surface, score, list(record.params)))))
    fan = artifact_frame(record.artifacts, "fan")
    if record.kind == "montecarlo" and fan is not None:
        figures.append(("montecarlo-fan", _json(charts.montecarlo_fan_chart({**record.summary,
                                                                              "fan": fan.to_dict(orient="list")}))))
    if record.kind == "optimize" and record.summary.get("weights"):
        figures.append(("weights-chart", _json(charts.weights_chart(record.summary["weights"]))))
    return figures


def _folds(record: RunRecord) -> list[dict[str, str]]:
    return [{"fold": str(f.get("fold")), "oos": f"{display.day(f.get('oos_start'))} to {display.day(f.get('oos_end'))}",
             "params": display.params_text(f.get("params")), "trades": display.count(f.get("trades")),
             "total_return": display.format_metric("total_return", (f.get("metrics") or {}).get("total_return")),
             "sharpe": display.format_metric("sharpe", (f.get("metrics") or {}).get("sharpe")),
             "max_drawdown": display.format_metric("max_drawdown", (f.get("metrics") or {}).get("max_drawdown"))}
            for f in record.summary.get("folds") or []]


def _best_sets(record: RunRecord) -> list[tuple[str, str]]:
    objective = record.summary.get("objective", "sharpe")
    return [(display.params_text(b.get("params")), display.format_metric(objective, b.get(objective)))
            for b in (record.summary.get("best") or [])[:MAX_BEST_SETS]]


def _percentiles(record: RunRecord) -> list[tuple[str, list[str]]]:
    rows = (("final_equity", display.money), ("max_drawdown_pct", display.percent_points), ("sharpe", display.number))
    return [(display.metric_label(key), [write((record.summary.get(key) or {}).get(p)) for p in ("p5", "p50", "p95")])
            for key, write in rows if record.summary.get(key)]


def run_page(database: Database, actor: Actor, run_id: int) -> dict[str, Any]:
    """Everything ``run.html`` shows for run ``run_id`` as ``actor`` reads it (NotFoundError when there is none)."""
    from services.research.runs import backtest_costs, get_run, shown_metrics, shown_params

    record = get_run(database, actor, run_id)
    source = get_run(database, actor, record.parent_id) if record.kind == "montecarlo" and record.parent_id \
        else record
    block = record.summary.get("overfitting")
    allocation = record.summary.get("allocation") or {}
    return {
        "run": record,
        "symbols": ", ".join(record.symbols) or display.DASH,
        "params": display.params_text(shown_params(record)),
        "created": f"{display.timestamp(record.created_at)} by {record.created_by}",
        "costs": display.cost_summary(backtest_costs(source)) if record.kind != "optimize" else "",
        "metrics": [(display.metric_label(n), display.format_metric(n, v)) for n, v in shown_metrics(record).items()],
        "figures": _figures(record, source) if record.status == "done" else [],
        "folds": _folds(record),
        "best_sets": _best_sets(record) if record.kind == "grid" else [],
        "objective": display.metric_label(record.summary.get("objective", "sharpe")),
        "percentiles": _percentiles(record) if record.kind == "montecarlo" else [],
        "overfitting": {"headline": display.overfitting_headline(block),
                        "conclusion": block.get("conclusion") or display.overfitting_conclusion(block)}
        if block else None,
        "weights": [(s, display.percent(w), display.count(allocation.get("shares", {}).get(s)) if allocation else "")
                    for s, w in sorted((record.summary.get("weights") or {}).items(), key=lambda kv: -kv[1])],
        "allocation": display.allocation_summary(allocation) if allocation else "",
        "hashes": {"config": record.config_hash, "data": record.data_hash},
        "can_report": record.status == "done",
    }
