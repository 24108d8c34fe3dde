"""Health roll-up and the daily summary, from plain values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from errors import ConfigError
from quant.monitoring.alerts import Alert, Severity
from quant.monitoring.health import CheckResult, HealthStatus, health_report, run_check
from quant.monitoring.summary import build_daily_summary


def test_a_failing_critical_check_makes_the_report_unhealthy():
    report = health_report([CheckResult("database", False, "down", 1.0), CheckResult("data:AAPL", True, "", 0.5)])
    assert report.status is HealthStatus.UNHEALTHY


def test_only_non_critical_failures_make_it_degraded():
    report = health_report([CheckResult("database", True, "", 1.0),
                            CheckResult("data:AAPL", False, "stale", 0.5, critical=False)])
    assert report.status is HealthStatus.DEGRADED
    assert [c.name for c in report.failing] == ["data:AAPL"]


def test_run_check_turns_an_exception_into_a_failed_result():
    def probe() -> str:
        raise TimeoutError("broker did not answer in 5 s")

    result = run_check("broker", probe)
    assert not result.ok and result.detail == "TimeoutError: broker did not answer in 5 s"
    assert result.latency_ms >= 0


def _summary():
    return build_daily_summary(
        pnl={"realized": "120.10", "unrealized": -20.05},
        positions=[{"symbol": "MSFT", "quantity": 5, "market_value": "2000.00", "unrealized_pnl": "-30.05"},
                   {"symbol": "AAPL", "quantity": -20, "market_value": "-3000.00", "unrealized_pnl": "10"}],
        risk={"trading_state": "REDUCING", "drawdown_pct": 4.2},
        pending_approvals=[{"id": "apr-1", "kind": "paper", "summary": "promote sma_cross to paper"}],
        alerts=[Alert("staleness:AAPL", "Stale data: AAPL", "3 sessions", Severity.WARNING),
                {"severity": "critical", "title": "Daily loss limit hit"}],
        as_of=date(2024, 3, 1),
    )


def test_summary_totals_pnl_and_orders_positions_by_size():
    summary = _summary()

    assert summary.total_pnl == Decimal("100.05")  # 120.10 - 20.05
    assert summary.gross_market_value == Decimal("5000.00")  # |2000| + |-3000|
    assert [p.symbol for p in summary.positions] == ["AAPL", "MSFT"]
    assert summary.trading_state == "REDUCING"
    assert summary.alerts_by_severity == {"info": 0, "warning": 1, "critical": 1}


def test_summary_dict_and_text_carry_the_same_facts():
    summary = _summary()
    data, text = summary.to_dict(), summary.render_text()

    assert data["pnl"] == {"realized": "120.10", "unrealized": "-20.05", "total": "100.05"}
    assert data["pending_approvals"][0]["id"] == "apr-1"
    assert text.splitlines()[0] == "Daily summary for 2024-03-01"
    assert "P&L: total +$100.05 (realized +$120.10, unrealized -$20.05)" in text
    assert "  apr-1 (paper): promote sma_cross to paper" in text
    assert "Alerts: 1 warning, 1 critical" in text


def test_a_non_numeric_amount_is_refused_with_its_field():
    with pytest.raises(ConfigError, match="pnl.realized"):
        build_daily_summary({"realized": "lots"}, [], {}, [], [])


def test_the_text_summary_writes_amounts_to_the_cent_and_quantities_without_trailing_zeros():
    summary = build_daily_summary(
        {"realized": "0", "unrealized": "0"},
        [{"symbol": "AAPL", "quantity": "146.0000000000", "market_value": "21564.1500", "unrealized_pnl": "0"}],
        {"cash_usd": "48042.6755000000", "fees_paid_usd": "0E-10", "drawdown_pct": 13.300215,
         "open_orders": "3.000", "trading_state": "HALTED", "note": "manual halt"},
        [], [])
    lines = summary.render_text().splitlines()

    assert "  AAPL: 146 worth $21,564.15, unrealized $0.00" in lines
    assert "Account: cash $48,042.68, fees paid $0.00" in lines  # 48042.6755 to the cent
    assert "Risk: drawdown 13.30% of the high-water mark" in lines
    assert "Also: note manual halt; open orders 3" in lines
    assert not any(" = " in line for line in lines)  # sentences, not key = value
    assert not any("E-" in line or "0000" in line for line in lines)
