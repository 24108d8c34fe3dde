"""Metrics appear in the Prometheus text format with the values recorded."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from quant.monitoring import metrics as m


@pytest.fixture()
def fresh() -> m.QuantpilotMetrics:
    return m.QuantpilotMetrics(CollectorRegistry())


def _samples(metrics: m.QuantpilotMetrics) -> dict[tuple[str, tuple], float]:
    text = m.render_metrics(metrics).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_order_states_rejections_fills_and_approvals_are_counted(fresh):
    for state in ("new", "submitted", "filled", "new", "rejected"):
        m.record_order_state(state, fresh)
    m.record_rejection("max_position_pct", fresh)
    m.record_rejection("max_position_pct", fresh)
    m.record_fill("buy", fresh)
    m.record_approval("paper", "approved", fresh)

    s = _samples(fresh)
    assert s[("quantpilot_orders_total", (("state", "new"),))] == 2
    assert s[("quantpilot_orders_total", (("state", "filled"),))] == 1
    assert s[("quantpilot_order_rejections_total", (("code", "max_position_pct"),))] == 2
    assert s[("quantpilot_fills_total", (("side", "buy"),))] == 1
    assert s[("quantpilot_approvals_total", (("decision", "approved"), ("kind", "paper")))] == 1


def test_gauges_hold_the_last_value_set(fresh):
    m.set_pnl("realized", 120.5, fresh)
    m.set_pnl("realized", -30.25, fresh)
    m.set_exposure("gross", 0.85, fresh)
    m.set_data_staleness("AAPL", 3, fresh)

    s = _samples(fresh)
    assert s[("quantpilot_pnl", (("kind", "realized"),))] == -30.25
    assert s[("quantpilot_exposure_ratio", (("kind", "gross"),))] == 0.85
    assert s[("quantpilot_data_staleness_sessions", (("symbol", "AAPL"),))] == 3


def test_latency_histograms_bucket_observations(fresh):
    for seconds in (0.004, 0.03, 0.03, 2.0):
        m.observe_tool_call("run_backtest", seconds, metrics=fresh)
    m.observe_broker_request("submit_order", 0.2, "error", fresh)

    s = _samples(fresh)
    tool = (("le", "0.05"), ("outcome", "ok"), ("tool", "run_backtest"))
    assert s[("quantpilot_tool_call_duration_seconds_bucket", tool)] == 3
    assert s[("quantpilot_tool_call_duration_seconds_count", (("outcome", "ok"), ("tool", "run_backtest")))] == 4
    assert s[("quantpilot_tool_call_duration_seconds_sum", (("outcome", "ok"), ("tool", "run_backtest")))] == (
        pytest.approx(2.064))
    assert s[("quantpilot_broker_request_duration_seconds_count",
              (("operation", "submit_order"), ("outcome", "error")))] == 1


def test_timed_tool_call_records_errors_and_reraises(fresh):
    with m.timed_tool_call("get_quote", fresh):
        pass
    with pytest.raises(KeyError), m.timed_tool_call("get_quote", fresh):
        raise KeyError("AAPL")

    s = _samples(fresh)
    assert s[("quantpilot_tool_call_duration_seconds_count", (("outcome", "ok"), ("tool", "get_quote")))] == 1
    assert s[("quantpilot_tool_call_duration_seconds_count", (("outcome", "error"), ("tool", "get_quote")))] == 1


def test_the_process_registry_exposes_every_metric_family():
    names = {f.name for f in text_string_to_metric_families(m.render_metrics().decode())}
    assert {"quantpilot_orders", "quantpilot_order_rejections", "quantpilot_fills", "quantpilot_pnl",
            "quantpilot_exposure_ratio", "quantpilot_tool_call_duration_seconds",
            "quantpilot_broker_request_duration_seconds", "quantpilot_data_staleness_sessions",
            "quantpilot_approvals"} <= names
