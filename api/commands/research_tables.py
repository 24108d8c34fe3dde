"""How a research run reads in the terminal, one printer per run kind, shared by the commands that make runs
(``backtest``, ``walkforward``, ``montecarlo``, ``optimize``) and ``runs show``. Every number goes through
``quant.display``; ``--json`` never comes here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from api.output import console, print_table
from quant import display

BACKTEST_METRICS = ("total_return", "cagr", "sharpe", "sortino", "max_drawdown", "trades", "win_rate",
                    "profit_factor", "total_pnl")
FOLD_COLUMNS = ("total_return", "sharpe")  # more would not fit 80 columns; the report has every fold metric


def say(text: str) -> None:
    """A line of plain text (never read as Rich markup)."""
    console.print(text, highlight=False, markup=False)


def metrics_table(title: str | None, metrics: Mapping[str, Any], names: Sequence[str] = BACKTEST_METRICS) -> None:
    print_table(title, ["metric", "value"],
                [(display.metric_label(n), display.format_metric(n, metrics.get(n))) for n in names if n in metrics])


def say_parts(text: str, separator: str = " · ") -> None:
    """A line of ``separator``-joined parts, broken between parts (never inside one: ``5 bps`` stays whole) when
    it is wider than the terminal; the next lines indented by two spaces."""
    lines: list[str] = []
    for part in text.split(separator):
        if lines and len(lines[-1]) + len(separator) + len(part) <= console.width:
            lines[-1] += separator + part
        elif lines:
            lines[-1] += separator.rstrip()  # the line ends on its separator, so copied text reads the same
            lines.append("  " + part)
        else:
            lines.append(part)
    for line in lines:
        say(line)


def costs_line(config: Mapping[str, Any] | None, prefix: str = "costs") -> None:
    summary = display.cost_summary(config or {})
    if summary:
        say_parts(f"{prefix}: {summary}")


def report_line(run: Mapping[str, Any]) -> None:
    path = (run.get("artifacts") or {}).get("report")
    if path:
        say(f"report: {path}")


def overfitting_lines(block: Mapping[str, Any] | None) -> None:
    """"Is this luck?": the statistics in one line, then what they mean for this result and what to do next."""
    if not block:
        return
    say_parts(f"is this luck? {display.overfitting_headline(block)}")
    say(block.get("conclusion") or display.overfitting_conclusion(block))


def backtest(run: Mapping[str, Any]) -> None:
    summary = run.get("summary") or {}
    say(f"run {run['run_id']} · {run['strategy']} · {display.params_text(run['params'])}")
    say(f"{', '.join(run['symbols'])} · {display.day(summary.get('start'))} to {display.day(summary.get('end'))}")
    costs_line(run.get("config"))
    metrics_table(None, {**run["metrics"], "equity_final": run.get("equity_final"),
                         "fees_paid": summary.get("fees_paid")}, (*BACKTEST_METRICS, "equity_final", "fees_paid"))
    if summary.get("closes_only"):
        say(f"closes-only data: signals filled at the next close ({', '.join(summary['closes_only'])})")
    report_line(run)


def timing_line(overfitting_s: float | None, kernel_load_s: float | None = None, *,
                of_s: float | None = None) -> None:
    """Where the time went besides the backtests: the overfitting statistics (of ``of_s`` in all), the kernels'
    first load."""
    parts = []
    if overfitting_s is not None:
        whole = f" of {display.seconds(of_s)} (a full-sample grid included)" if of_s is not None else ""
        parts.append(f"overfitting statistics took {display.seconds(overfitting_s)}{whole}")
    if kernel_load_s is not None:
        parts.append(f"kernels loaded in {display.seconds(kernel_load_s)} before the grid")
    if parts:
        say("; ".join(parts))


def grid(result: Mapping[str, Any]) -> None:
    objective = result.get("objective", "sharpe")
    say(f"run {result['run_id']}: {display.count(result['n_backtests'])} backtests in "
        f"{display.seconds(result['elapsed_s'])} ({display.count(result['skipped'])} invalid parameter sets "
        "skipped)")
    timing_line(result.get("overfitting_s"), result.get("kernel_load_s"))
    costs_line(result.get("config"))
    print_table(f"best by {display.metric_label(objective)}", ["parameters", display.metric_label(objective)],
                [(display.params_text(b["params"]), display.format_metric(objective, b.get(objective)))
                 for b in result.get("best", [])])
    overfitting_lines(result.get("overfitting"))
    report_line(result)


def fold_table(folds: Sequence[Mapping[str, Any]]) -> None:
    print_table("folds (out of sample)", ["fold", "out of sample", "chosen", "trades",
                                          *(display.metric_label(k) for k in FOLD_COLUMNS)],
                [(f["fold"], f"{display.day(f.get('oos_start'))}..{display.day(f.get('oos_end'))}",
                  display.params_text(f.get("params")), display.count(f.get("trades")),
                  *(display.format_metric(k, (f.get("metrics") or {}).get(k)) for k in FOLD_COLUMNS))
                 for f in folds], no_wrap=("out of sample",))


def walk_forward(run: Mapping[str, Any]) -> None:
    summary = run.get("summary") or {}
    folds = summary.get("folds") or []
    window = (run.get("config") or {}).get("walk_forward") or {}
    span = f"{display.day(folds[0]['oos_start'])} to {display.day(folds[-1]['oos_end'])}" if folds else "no folds"
    say_parts(f"walk-forward run {run['run_id']}: {run['strategy']} on {', '.join(run['symbols'])} · "
              f"{len(folds)} folds ({window.get('window', '?')}, {display.count(window.get('in_sample_days'))} bars "
              f"in-sample, {display.count(window.get('out_of_sample_days'))} out) · out of sample {span}")
    costs_line((run.get("config") or {}).get("backtest"))
    fold_table(folds)
    metrics_table("out of sample, all folds stitched", {**run["metrics"], "equity_final": run.get("equity_final")},
                  (*BACKTEST_METRICS, "equity_final"))
    overfitting_lines(summary.get("overfitting"))
    timing_line(summary.get("overfitting_s"), of_s=summary.get("elapsed_s"))
    report_line(run)


MONTE_CARLO_ROWS = (("final_equity", display.money), ("max_drawdown_pct", display.percent_points),
                    ("sharpe", display.number))


def monte_carlo(result: Mapping[str, Any]) -> None:
    what = "trades" if result.get("method") == "trades" else "daily returns"
    say(f"Monte Carlo run {result['run_id']} of run {result['source_run']}: {display.count(result['n_paths'])} "
        f"paths, bootstrap of {what}")
    costs_line(result.get("source_backtest_config"), f"costs as in run {result['source_run']}")
    print_table(None, ["statistic", "p5", "p50", "p95"],
                [(display.metric_label(key), *(write(result[key][p]) for p in ("p5", "p50", "p95")))
                 for key, write in MONTE_CARLO_ROWS])
    say(f"probability of ending below the starting equity: {display.percent(result['probability_of_loss'], 1)}")
    report_line(result)


def optimization(result: Mapping[str, Any]) -> None:
    say(f"{result['method']} weights (run {result['run_id']}), from "
        f"{display.count(result.get('n_observations'))} days of closes up to {display.day(result.get('as_of'))}")
    say(f"expected return {display.percent(result['expected_annual_return'], signed=True)} a year · volatility "
        f"{display.percent(result['annual_volatility'])} · Sharpe {display.number(result['sharpe'])}")
    allocation = result.get("allocation")
    shares = (allocation or {}).get("shares", {})
    ordered = sorted(result["weights"].items(), key=lambda kv: -kv[1])
    columns = ["symbol", "weight", *(["shares"] if allocation else [])]
    print_table(None, columns, [(s, display.percent(w), *([display.count(shares.get(s, 0))] if allocation else []))
                                for s, w in ordered])
    if allocation:
        say(display.allocation_summary(allocation))
