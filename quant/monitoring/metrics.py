"""Prometheus metrics on quantpilot's own registry, and one small function per thing we record.

``QuantpilotMetrics(registry)`` owns the metric objects; the module-level functions record on
the process-wide instance (``METRICS``), so call sites stay one line. Tests build their own
``QuantpilotMetrics(CollectorRegistry())`` to start from zero. Labels are low-cardinality by
design: states, codes, kinds — never order ids.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# Seconds; tool calls include model-free quant work (backtests) so the top buckets are long.
TOOL_LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
BROKER_LATENCY_BUCKETS_S = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class QuantpilotMetrics:
    """Every quantpilot metric, registered on ``registry``."""

    def __init__(self, registry: CollectorRegistry):
        self.registry = registry
        self.orders = Counter("quantpilot_orders", "Order state transitions, by the state entered.", ["state"],
                              registry=registry)
        self.rejections = Counter("quantpilot_order_rejections", "Orders refused, by rejection code.", ["code"],
                                  registry=registry)
        self.fills = Counter("quantpilot_fills", "Fills received, by side.", ["side"], registry=registry)
        self.pnl = Gauge("quantpilot_pnl", "Profit and loss in account currency, by kind (realized|unrealized|day).",
                         ["kind"], registry=registry)
        self.exposure = Gauge("quantpilot_exposure_ratio", "Exposure as a fraction of equity, by kind (gross|net).",
                              ["kind"], registry=registry)
        self.tool_latency = Histogram("quantpilot_tool_call_duration_seconds", "Agent tool call latency.",
                                      ["tool", "outcome"], buckets=TOOL_LATENCY_BUCKETS_S, registry=registry)
        self.broker_latency = Histogram("quantpilot_broker_request_duration_seconds", "Broker request latency.",
                                        ["operation", "outcome"], buckets=BROKER_LATENCY_BUCKETS_S, registry=registry)
        self.staleness = Gauge("quantpilot_data_staleness_sessions",
                               "Exchange sessions since the symbol's last stored bar.", ["symbol"], registry=registry)
        self.approvals = Counter("quantpilot_approvals", "Approval decisions, by approval kind and decision.",
                                 ["kind", "decision"], registry=registry)

    def render(self) -> bytes:
        """The registry in the Prometheus text exposition format."""
        return generate_latest(self.registry)


REGISTRY = CollectorRegistry(auto_describe=True)
METRICS = QuantpilotMetrics(REGISTRY)


def record_order_state(state: str, metrics: QuantpilotMetrics = METRICS) -> None:
    """Count an order entering ``state`` (new, submitted, filled, canceled, rejected, …)."""
    metrics.orders.labels(state=str(state)).inc()


def record_rejection(code: str, metrics: QuantpilotMetrics = METRICS) -> None:
    """Count a refusal by its enum code (``max_position_pct``, ``kill_switch``, …)."""
    metrics.rejections.labels(code=str(code)).inc()


def record_fill(side: str, metrics: QuantpilotMetrics = METRICS) -> None:
    metrics.fills.labels(side=str(side)).inc()


def set_pnl(kind: str, amount: float, metrics: QuantpilotMetrics = METRICS) -> None:
    """Set P&L of ``kind`` (realized|unrealized|day) in account currency."""
    metrics.pnl.labels(kind=kind).set(float(amount))


def set_exposure(kind: str, ratio: float, metrics: QuantpilotMetrics = METRICS) -> None:
    """Set exposure of ``kind`` (gross|net) as a fraction of equity (1.0 = 100 %)."""
    metrics.exposure.labels(kind=kind).set(float(ratio))


def set_data_staleness(symbol: str, sessions: int, metrics: QuantpilotMetrics = METRICS) -> None:
    """Sessions between the last stored bar of ``symbol`` and today (0 = up to date)."""
    metrics.staleness.labels(symbol=symbol).set(sessions)


def record_approval(kind: str, decision: str, metrics: QuantpilotMetrics = METRICS) -> None:
    """Count an approval decision (``decision``: approved|rejected|expired) of ``kind``."""
    metrics.approvals.labels(kind=kind, decision=decision).inc()


def observe_tool_call(tool: str, seconds: float, outcome: str = "ok", metrics: QuantpilotMetrics = METRICS) -> None:
    metrics.tool_latency.labels(tool=tool, outcome=outcome).observe(seconds)


def observe_broker_request(operation: str, seconds: float, outcome: str = "ok",
                           metrics: QuantpilotMetrics = METRICS) -> None:
    metrics.broker_latency.labels(operation=operation, outcome=outcome).observe(seconds)


@contextmanager
def timed_tool_call(tool: str, metrics: QuantpilotMetrics = METRICS) -> Iterator[None]:
    """Time the block as a call of ``tool``; outcome ``error`` when it raises (the error propagates)."""
    started, outcome = time.perf_counter(), "ok"
    try:
        yield
    except BaseException:
        outcome = "error"
        raise
    finally:
        observe_tool_call(tool, time.perf_counter() - started, outcome, metrics)


@contextmanager
def timed_broker_request(operation: str, metrics: QuantpilotMetrics = METRICS) -> Iterator[None]:
    """Time the block as a broker ``operation`` (submit_order, get_account, …)."""
    started, outcome = time.perf_counter(), "ok"
    try:
        yield
    except BaseException:
        outcome = "error"
        raise
    finally:
        observe_broker_request(operation, time.perf_counter() - started, outcome, metrics)


def render_metrics(metrics: QuantpilotMetrics = METRICS) -> bytes:
    """What a ``/metrics`` endpoint returns (media type ``CONTENT_TYPE``)."""
    return metrics.render()
