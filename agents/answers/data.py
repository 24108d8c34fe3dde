"""Answers about market data: the stored bars of a symbol, its quality report, its freshness, and news."""

from __future__ import annotations

from agents.answers.outcome import ToolOutcome, typed
from quant.display import counted, day, joined, money
from tools.data import BarsSummary, Freshness, News, QualitySummary


def write_bars(outcome: ToolOutcome) -> str:
    bars = typed(BarsSummary, outcome.payload)
    if bars is None:
        return ""
    if not bars.n_bars:
        return f"No bars of {bars.symbol} are stored for that period (as of {day(bars.as_of)})."
    lines = [f"{bars.symbol}: {counted(bars.n_bars, 'daily bar')} from {day(bars.first_ts)} to {day(bars.last_ts)}, "
             f"last close {money(bars.last_close)}" + (" (closing prices only)." if bars.closes_only else ".")]
    if bars.loaded_from:
        lines.append(f"Loaded just now from {bars.loaded_from}.")
    if bars.load_failures:
        tried = joined(f["source"] for f in bars.load_failures if "source" in f)
        lines.append(f"Not available from {tried}.")
    return "\n".join(lines)


def write_quality(outcome: ToolOutcome) -> str:
    report = typed(QualitySummary, outcome.payload)
    if report is None:
        return ""
    head = (f"{report.symbol} data quality (report {report.report_id}, {report.source}, "
            f"{counted(report.n_rows, 'row')} from {day(report.first_ts)} to {day(report.last_ts)}): "
            f"{counted(report.n_errors, 'error')}, {counted(report.n_warnings, 'warning')}.")
    lines = [head]
    if report.issues_by_rule:
        by_rule = ", ".join(f"{rule.replace('_', ' ')} {n}" for rule, n in report.issues_by_rule.items())
        lines.append(f"By rule: {by_rule}.")
    for issue in report.sample_issues[:3]:
        lines.append(f"- {day(issue.get('ts'))}: {issue.get('detail') or issue.get('rule')}")
    return "\n".join(lines)


def write_freshness(outcome: ToolOutcome) -> str:
    fresh = typed(Freshness, outcome.payload)
    if fresh is None:
        return ""
    if fresh.last_bar_ts is None:
        return f"{fresh.symbol} has no stored bars at all: load it first (\"load data for {fresh.symbol}\")."
    verdict = "stale" if fresh.stale else "fresh"
    behind = counted(fresh.sessions_behind, "trading session")
    text = (f"{fresh.symbol} data is {verdict}: the last bar is from {day(fresh.last_bar_ts)}, {behind} before "
            f"{day(fresh.as_of)} (stale after {counted(fresh.stale_after_sessions, 'session')}).")
    return text + (f' Load newer bars with "load data for {fresh.symbol}".' if fresh.stale else "")


def write_news(outcome: ToolOutcome) -> str:
    news = typed(News, outcome.payload)
    if news is None:
        return ""
    items = [line for line in news.headlines.splitlines() if line.startswith("- ")]
    if not items:
        return f"No recent headlines for {news.symbol}."
    head = f"{counted(len(items), 'headline')} for {news.symbol} (external text, shown as data"
    head += ", flagged: it contains instruction-like wording)" if news.suspicious else ")"
    return "\n".join([head + ":", *items])
