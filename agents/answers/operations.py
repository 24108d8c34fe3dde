"""Answers about operations: service health, metrics, alerts, the daily summary and recollections."""

from __future__ import annotations

import re

from agents.answers.outcome import ToolOutcome, typed
from agents.answers.phrasing import plain_value
from quant.display import counted, day, joined, money, number, quantity, text_table
from tools.monitoring import AlertSent, Health

MAX_SAMPLES = 10
_SAMPLE = re.compile(r"^(?P<name>[\w:]+)(?:\{(?P<labels>.*)\})?$")
_SETTING = re.compile(r"\b(\w+)=(\[?[\w.-]+\]?)")  # "fast=10" in memories stored before they were written out


def write_health(outcome: ToolOutcome) -> str:
    health = typed(Health, outcome.payload)
    if health is None:
        return ""
    parts = [f"{name} {'ok' if c.get('healthy') else 'DOWN'}" + (f" ({c['detail']})" if c.get("detail") else "")
             for name, c in health.checks.items()]
    verdicts = {"degraded": "Degraded (only non-critical checks fail)", "unhealthy": "Something is wrong"}
    head = "All services are healthy" if health.healthy else verdicts.get(health.health_status or "unhealthy")
    return f"{head}: {joined(parts)}."


def _sample_row(key: str, value: float) -> list[str]:
    match = _SAMPLE.match(key)
    name, labels = (match.group("name"), match.group("labels") or "") if match else (key, "")
    shown = ", ".join(label.replace("=", " ") for label in labels.split(",") if label)
    return [name.removeprefix("quantpilot_").replace("_", " "), shown, quantity(value)]


def write_metrics(outcome: ToolOutcome) -> str:
    data = outcome.data
    samples = data.get("samples") or {}
    if not isinstance(samples, dict) or not samples:
        return "No quantpilot metrics have been recorded in this process yet."
    rows = [_sample_row(k, v) for k, v in list(samples.items())[:MAX_SAMPLES] if isinstance(v, int | float)]
    more = len(samples) - len(rows)
    tail = f"\n(and {counted(more, 'more sample')}; the full set is at /metrics)" if more > 0 else ""
    return f"{counted(data.get('n_samples', len(samples)), 'metric sample')}:\n" + \
        text_table(["metric", "labels", "value"], rows) + tail


def write_alert(outcome: ToolOutcome) -> str:
    alert = typed(AlertSent, outcome.payload)
    if alert is None:
        return ""
    message = str(outcome.args.get("message") or "").strip()
    said = f': "{message}"' if message else ""
    return f"{alert.severity.capitalize()} alert sent to the operators{said}." if alert.delivered else \
        "The alert could not be delivered."


def write_daily_summary(outcome: ToolOutcome) -> str:
    data = outcome.data
    where = ""
    if data.get("account"):
        market = data.get("market_date")
        where = f" (account {data['account']}" + (f", market at {day(market)}" if market and market != data.get(
            "date") else "") + ")"
    lines = [f"Daily summary for {day(data.get('date'))}{where}: trading is "
             f"{data.get('trading_status', 'unknown')}."]
    if "equity_usd" in data:
        lines.append(f"Equity {money(data['equity_usd'])}, cash {money(data.get('cash_usd'))}, "
                     f"{counted(data.get('n_positions'), 'open position')}.")
    health = data.get("health") or {}
    down = [name for name, ok in health.items() if not ok]
    if health:  # the verdict the web Health page shows (services.health.system_health)
        verdict = data.get("health_status") or ("healthy" if not down else "unhealthy")
        lines.append("All services are healthy." if not down else f"System health: {verdict} ({joined(down)}).")
    alerts = data.get("alerts")
    if isinstance(alerts, dict):
        lines.append(f"{counted(alerts.get('count'), 'alert')} today ({number(alerts.get('critical'), 0)} critical).")
    return "\n".join(lines)


def write_recall(outcome: ToolOutcome) -> str:
    data = outcome.data
    hits = [h for h in data.get("hits") or [] if isinstance(h, dict)]
    query = plain_value(data.get("query") or "")
    if not hits:
        return f'Nothing in long-term memory matches "{query}" yet.'
    lines = [f'{counted(len(hits), "memory", "memories")} closest to "{query}", best first:']
    rows = [[day(h.get("created_at")), str(h.get("kind", "")).replace("_", " "), number(h.get("score"))] for h in hits]
    for row, hit in zip(rows, hits, strict=True):
        text = _SETTING.sub(lambda m: f"{m.group(1)} {m.group(2).strip('[]')}", str(hit.get("text", "")))
        lines.append(f"- {row[0]} ({row[1]}, similarity {row[2]}): {text}")
    return "\n".join(lines)
