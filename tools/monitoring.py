"""Monitoring agent tools: metrics, health of the run's services, alerts, the daily summary."""

from __future__ import annotations

from typing import Literal

from langchain_core.tools import BaseTool
from pydantic import Field

from tools.collaborators import require
from tools.context import ToolContext
from tools.results import Summary, ToolResult, compact_value
from tools.typed_tool import ToolArgs, context_tool

ServiceName = Literal["database", "broker", "data", "model", "all"]


class ServiceArgs(ToolArgs):
    service_name: ServiceName = "all"


class AlertArgs(ToolArgs):
    message: str = Field(min_length=1, max_length=1000)
    severity: Literal["info", "warning", "critical"] = "warning"


class NoArgs(ToolArgs):
    pass


class Health(ToolResult):
    """``health_status`` is the system's verdict (healthy, degraded, unhealthy), the one the web Health page
    shows; ``checks`` per service (database, broker, data, model)."""

    service_name: str
    healthy: bool
    health_status: str | None = None  # None in results recorded before the verdict was shared
    checks: dict[str, dict[str, str | bool | float | None]]


class AlertSent(ToolResult):
    delivered: bool
    severity: str
    outcome: str = "stored"  # delivered | stored | suppressed (over the rate limit) | repeat (sent already)
    repeats: int = 1


def _report(ctx: ToolContext):
    """``services.health.system_health`` at the session clock's date: the same verdict as every interface."""
    from services.health import system_health

    return system_health(require(ctx.database, "database"), today=ctx.now().date(), broker=ctx.broker,
                         max_stale_sessions=ctx.settings.stale_after_days)


def check_service_health(ctx: ToolContext, args: ServiceArgs) -> Health:
    from quant.monitoring.health import HealthStatus
    from services.health import service_checks

    if ctx.database is None:
        checks = {"database": {"healthy": False, "detail": "no database configured"}}
        status = HealthStatus.UNHEALTHY.value
    else:
        report = _report(ctx)
        checks, status = service_checks(report), report.status.value
    checks["model"] = {"healthy": True, "detail": ctx.settings.model_provider.value}
    if args.service_name != "all":
        checks = {args.service_name: checks.get(args.service_name, {"healthy": False,
                                                                     "detail": f"no {args.service_name} configured"})}
        failed = "degraded" if args.service_name == "data" else "unhealthy"  # stale data alone degrades
        status = "healthy" if checks[args.service_name]["healthy"] else failed
    return Health(service_name=args.service_name, healthy=all(c["healthy"] for c in checks.values()),
                  health_status=status, checks=checks)


def collect_metrics(ctx: ToolContext, args: ServiceArgs) -> Summary:
    """quantpilot's Prometheus samples (name -> value), optionally those whose name mentions the service."""
    from prometheus_client import REGISTRY

    values: dict[str, float] = {}
    for family in REGISTRY.collect():
        if not family.name.startswith("quantpilot"):
            continue
        if args.service_name != "all" and args.service_name not in family.name:
            continue
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return Summary(tool="collect_metrics", summary={"service_name": args.service_name, "n_samples": len(values),
                                                    "samples": compact_value(values)})


def send_alert(ctx: ToolContext, args: AlertArgs) -> AlertSent:
    outcome = ctx.alert_sink.send(ctx.actor(), args.message, args.severity, thread_id=ctx.thread_id,
                                  turn_id=ctx.turn_id)
    return AlertSent(delivered=outcome.status in ("delivered", "stored", "repeat"), severity=args.severity,
                     outcome=outcome.status, repeats=outcome.repeats)


def generate_daily_summary(ctx: ToolContext, args: NoArgs) -> Summary:
    health = check_service_health(ctx, ServiceArgs())
    summary: dict = {"date": ctx.now().date().isoformat(), "trading_status": ctx.trading_state.current().status.value,
                     "health_status": health.health_status,
                     "health": {k: v["healthy"] for k, v in health.checks.items()}}
    gateway = ctx.order_gateway
    if gateway is not None and hasattr(gateway, "account"):  # the account the session trades in, at its clock
        summary["account"] = gateway.account
        summary["market_date"] = gateway.now().date().isoformat()
    if ctx.broker is not None:
        account = ctx.broker.get_account()
        summary["equity_usd"] = float(account.equity_usd)
        summary["cash_usd"] = float(account.cash_usd)
        summary["n_positions"] = sum(1 for p in ctx.broker.get_positions() if p.qty != 0)
    day = ctx.now().replace(hour=0, minute=0, second=0, microsecond=0)
    counts = ctx.alert_sink.counts_since(ctx.actor(), day)
    summary["alerts"] = {"count": counts.count, "critical": counts.critical}
    return Summary(tool="generate_daily_summary", summary=compact_value(summary))


def build_monitoring_tools(ctx: ToolContext) -> list[BaseTool]:
    specs = [
        ("collect_metrics", "quantpilot's Prometheus metric samples, optionally for one service.", ServiceArgs,
         collect_metrics),
        ("check_service_health", "Health of database, broker, data and model (or all).", ServiceArgs,
         check_service_health),
        ("send_alert", "Send an alert to the operators (info, warning, critical).", AlertArgs, send_alert),
        ("generate_daily_summary", "Today's summary: status, health, equity, positions, alerts.", NoArgs,
         generate_daily_summary),
    ]
    return [context_tool(ctx, name, text, schema, fn) for name, text, schema, fn in specs]
