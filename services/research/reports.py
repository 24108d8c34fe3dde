"""The HTML report of any research run, rendered from what the run stored (equity, trades, grid surface, Monte
Carlo fan, weights): the same page whether the run came from the CLI, the API or the chat."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from errors import QuantpilotError
from memory.runs import RunRecord
from services.research.curves import account_curves, combined_equity
from services.research.runs import backtest_costs, shown_metrics

if TYPE_CHECKING:
    from services.research.service import ResearchService

MAX_PRICE_SYMBOLS = 4


def artifact_frame(artifacts: Mapping[str, Any], name: str,
                   in_memory: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame | None:
    """The run's stored parquet artifact ``name`` (equity, trades, surface, fan), or None; ``in_memory``: frames
    the caller just stored, by name, used as they are instead of reading their files back."""
    if in_memory and name in in_memory:
        return in_memory[name]
    path = artifacts.get(name)
    return pd.read_parquet(path) if path and Path(path).is_file() else None


def _closes(service: ResearchService, record: RunRecord, equity: pd.DataFrame, trades: pd.DataFrame | None,
            prices: pd.DataFrame | None) -> pd.DataFrame | None:
    """Closes of the most traded symbols (at most ``MAX_PRICE_SYMBOLS``) over the equity's dates, drawn under
    the trades; read again from the stored bars when the caller has none at hand."""
    if trades is None or trades.empty:
        return None
    symbols = list(trades["symbol"].value_counts().index[:MAX_PRICE_SYMBOLS])
    if prices is None:
        as_of = backtest_costs(record).get("as_of") or equity.index[-1]
        try:
            prices = service.panels(symbols, equity.index[-1], as_of, start=equity.index[0])["close"]
        except QuantpilotError:  # a report without price charts beats no report (the bars may be gone)
            return None
    shown = [s for s in symbols if s in prices.columns]
    return prices.loc[equity.index[0]:equity.index[-1], shown]


def run_report_html(service: ResearchService, record: RunRecord, *, prices: pd.DataFrame | None = None,
                    frames: Mapping[str, pd.DataFrame] | None = None) -> str:
    """The report page of ``record`` (any kind); ``prices`` (wide closes) saves re-reading them for a backtest,
    ``frames`` (artifacts by name, as stored) saves reading their parquet files back."""
    from quant.reports.html import render_backtest_report

    options: dict[str, Any] = {}
    summary = record.summary or {}
    costs = backtest_costs(record)
    source = record
    if record.kind == "montecarlo" and record.parent_id:
        source = service.runs.get(record.parent_id)
        costs = backtest_costs(source)
        fan = artifact_frame(record.artifacts, "fan")
        options["monte_carlo"] = {**summary, "fan": fan.to_dict(orient="list") if fan is not None else {}}
    equity = artifact_frame(source.artifacts, "equity")
    trades = artifact_frame(source.artifacts, "trades")
    if equity is not None and record.kind in ("backtest", "walkforward"):
        options["trades"] = None if trades is None else trades.rename(columns={"quantity": "qty"})
        options["prices"] = _closes(service, record, equity, trades, prices)
    if record.kind == "walkforward":
        options["folds"] = summary.get("folds")
    if record.kind in ("grid", "walkforward"):
        options["overfitting"] = summary.get("overfitting")
    if record.kind == "grid":
        options["surface"] = artifact_frame(record.artifacts, "surface", frames)
        options["surface_params"] = list(record.params)
    if record.kind == "optimize":
        options["optimization"] = summary
        options["allocation"] = summary.get("allocation")
    title = f"{record.strategy or 'portfolio'} {record.kind} — run {record.id}"
    return render_backtest_report(
        combined_equity(equity) if equity is not None else None, shown_metrics(record), title=title,
        sleeves=account_curves(equity) if equity is not None and equity.shape[1] > 1 else None,
        costs=costs if record.kind != "optimize" else None, **options)


def write_run_report(service: ResearchService, record: RunRecord, *, prices: pd.DataFrame | None = None,
                     frames: Mapping[str, pd.DataFrame] | None = None) -> Path:
    """Render and write ``record``'s report into its run directory (plotly.js linked beside it)."""
    from quant.reports.writer import write_report

    html = run_report_html(service, record, prices=prices, frames=frames)
    return write_report(service._run_dir(record.id) / "report.html", html,
                        plotly_cache=service.artifacts_dir / "plotly")
