"""Tools return compact typed results: ok, refused, approval_required or unavailable — never a crash."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from config import Settings
from quant.execution.broker import BrokerMode
from quant.execution.gate import Denied, DenyCode
from quant.execution.simulated import SimulatedBroker
from tools import RecordingAlertSink, ToolContext, all_tools
from tools.results import MAX_RESULT_CHARS, compact_value

NOW = datetime(2024, 6, 3, 15, 0, tzinfo=UTC)


def _ctx(**overrides) -> ToolContext:
    broker = SimulatedBroker({"AAPL": 100, "MSFT": 400}, cash_usd=10_000, clock=lambda: NOW, mode=BrokerMode.PAPER)
    return ToolContext(settings=Settings(), clock=lambda: NOW, broker=broker, user="alice",
                       alert_sink=RecordingAlertSink(), **overrides)


def _buy(broker: SimulatedBroker, symbol: str, qty: int) -> None:
    from quant.execution.orders import OrderIntent

    broker.place_order(OrderIntent(symbol=symbol, side="buy", qty=Decimal(qty), strategy_id="t", decision_key="k"))


class FakeGateway:
    def __init__(self, outcome):
        self.outcome = outcome
        self.seen = []

    def place(self, actor, intent):
        self.seen.append((intent, actor.name))
        return self.outcome


ORDER = {"order": {"symbol": "AAPL", "side": "buy", "qty": 10}}


def test_place_order_refuses_when_no_execution_path_is_configured():
    result = all_tools(_ctx())["place_order"].invoke(ORDER)
    assert result["status"] == "refused"
    assert result["codes"] == ["EXECUTION_PATH_UNAVAILABLE"]


def test_place_order_turns_a_missing_approval_into_a_paper_order_approval_on_a_paper_broker():
    gateway = FakeGateway(Denied(DenyCode.APPROVAL_MISSING, "no approval"))
    result = all_tools(_ctx(order_gateway=gateway))["place_order"].invoke(ORDER)
    assert result["status"] == "approval_required"
    assert result["kind"] == "paper_order"
    intent = gateway.seen[0][0]
    assert result["subject"]["order_intent_hash"] == result["subject"]["client_order_id"] == intent.client_order_id
    assert gateway.seen[0][1] == "alice"


def test_an_order_approval_subject_rebuilds_exactly_the_intent_it_names():
    from guardrails.approvals import ApprovalSubject, order_intent_of

    gateway = FakeGateway(Denied(DenyCode.APPROVAL_MISSING, "no approval"))
    limit = {"order": {"symbol": "MSFT", "side": "sell", "qty": 2.5, "order_type": "limit", "limit_price": 401.25,
                       "decision_key": "d-1"}}
    subject = all_tools(_ctx(order_gateway=gateway))["place_order"].invoke(limit)["subject"]
    rebuilt = order_intent_of(ApprovalSubject(**subject))
    assert rebuilt == gateway.seen[0][0]


def test_place_order_asks_for_a_live_order_approval_when_the_broker_trades_live():
    gateway = FakeGateway(Denied(DenyCode.APPROVAL_MISSING, "no approval"))
    gateway.broker = SimulatedBroker({"AAPL": 100}, cash_usd=10_000, clock=lambda: NOW, mode=BrokerMode.LIVE)
    result = all_tools(_ctx(order_gateway=gateway))["place_order"].invoke(ORDER)
    assert result["kind"] == "live_order"


def test_place_order_reports_a_halted_gate_as_refusal_with_its_code():
    gateway = FakeGateway(Denied(DenyCode.TRADING_HALTED, "trading is halted"))
    result = all_tools(_ctx(order_gateway=gateway))["place_order"].invoke(ORDER)
    assert result["status"] == "refused"
    assert result["codes"] == ["TRADING_HALTED"]


def test_place_order_returns_the_order_the_execution_path_placed():
    ctx = _ctx()
    from quant.execution.orders import OrderIntent

    order = ctx.broker.place_order(OrderIntent(symbol="AAPL", side="buy", qty=Decimal(10), strategy_id="manual",
                                               decision_key="d1"))
    result = all_tools(_ctx(order_gateway=FakeGateway(order)))["place_order"].invoke(ORDER)
    assert result["status"] == "ok"
    assert result["client_order_id"] == order.client_order_id
    assert result["order_status"] == "filled"


def test_check_kill_switch_reports_the_drawdown_breaker_from_the_curve():
    result = all_tools(_ctx())["check_kill_switch"].invoke({"equity_curve": [100.0, 110.0, 95.0]})
    # by hand: peak 110, now 95 -> (110 - 95) / 110 = 13.64 % >= the default 10 % limit
    assert result["summary"]["active"] is True
    assert result["summary"]["drawdown_pct"] == pytest.approx(15 / 110 * 100)


def test_check_kill_switch_stays_inactive_on_a_rising_curve():
    result = all_tools(_ctx())["check_kill_switch"].invoke({"equity_curve": [100.0, 101.0, 102.0]})
    assert result["summary"]["active"] is False
    assert result["summary"]["drawdown_pct"] == 0


def test_engaging_the_kill_switch_halts_and_releasing_it_needs_approval():
    ctx = _ctx()
    tools = all_tools(ctx)
    engaged = tools["set_kill_switch"].invoke({"engaged": True, "reason": "flash crash"})
    assert engaged["summary"]["trading_status"] == "halted"
    assert ctx.trading_state.current().status.value == "halted"
    released = tools["set_kill_switch"].invoke({"engaged": False, "reason": "market calm"})
    assert released["status"] == "approval_required"
    halt_id = engaged["summary"]["halt_id"]
    assert released["kind"] == "risk_limit"  # the same request ExecutionService.request_resume stores
    assert released["subject"] == {"limit_change_id": f"resume-{halt_id}", "action": "resume_trading",
                                   "halt_id": halt_id, "status": "halted"}
    assert ctx.trading_state.current().status.value == "halted"


def test_releasing_the_kill_switch_while_trading_is_active_is_refused():
    result = all_tools(_ctx())["set_kill_switch"].invoke({"engaged": False, "reason": "all good"})
    assert result["status"] == "refused" and result["codes"] == ["ALREADY_ACTIVE"]


def test_risk_limit_change_is_only_proposed_with_old_and_new_values():
    ctx = _ctx()
    result = all_tools(ctx)["propose_risk_limit_change"].invoke(
        {"changes": {"max_open_positions": 12}, "reason": "broader universe"})
    assert result["status"] == "approval_required"
    assert result["kind"] == "risk_limit"
    assert result["subject"]["changes"] == {"max_open_positions": {"from": 10, "to": 12}}
    assert ctx.limits().max_open_positions == 10


def test_out_of_range_risk_limit_is_an_error_result_naming_the_field():
    result = all_tools(_ctx())["propose_risk_limit_change"].invoke(
        {"changes": {"max_drawdown_pct": 50}, "reason": "yolo mode"})
    assert result["status"] == "error"
    assert result["details"]["field"] == "max_drawdown_pct"


def test_position_size_check_rejects_an_order_over_the_notional_cap():
    args = {"order": {"symbol": "AAPL", "side": "buy", "qty": 1000, "stop_distance_usd": 1.0},
            "portfolio": {"cash_usd": 1_000_000, "prices": {"AAPL": 100}, "adv_shares": {"AAPL": 10_000_000}}}
    result = all_tools(_ctx())["check_position_size"].invoke(args)
    # 1000 shares x $100 = $100,000 > the default $50,000 order notional cap
    assert result["approved"] is False
    assert "NOTIONAL_CAP_EXCEEDED" in result["codes"]


def test_exposure_and_stress_use_the_broker_positions():
    ctx = _ctx()
    _buy(ctx.broker, "AAPL", 20)
    tools = all_tools(ctx)
    exposure = tools["compute_portfolio_exposure"].invoke({})["summary"]
    # no database: marked at entry price $100; equity = 10,000 cash (2,000 spent + 2,000 held)
    assert exposure["gross_exposure_usd"] == pytest.approx(2000.0)
    assert exposure["equity_usd"] == pytest.approx(10_000.0)
    assert exposure["gross_exposure_pct"] == pytest.approx(20.0)
    stress = tools["stress_test"].invoke({"shock_pct": -30})["summary"]
    assert stress["pnl_usd"] == pytest.approx(-600.0)


def test_reconcile_lists_each_difference():
    ctx = _ctx()
    _buy(ctx.broker, "AAPL", 5)
    result = all_tools(ctx)["reconcile_positions"].invoke({"expected": {"AAPL": 5, "MSFT": 3}})
    assert result["matched"] is False
    assert result["discrepancies"] == [{"symbol": "MSFT", "expected": 3.0, "actual": 0.0, "difference": -3.0}]


def test_unknown_order_id_is_a_not_found_error_result():
    result = all_tools(_ctx())["check_order_status"].invoke({"order_id": "qp-nope"})
    assert result["status"] == "error"
    assert result["code"] == "not_found"


def test_alerts_go_to_the_context_sink_and_into_the_daily_summary():
    ctx = _ctx(role="trader")
    tools = all_tools(ctx)
    tools["send_alert"].invoke({"message": "feed late", "severity": "critical"})
    assert ctx.alert_sink.alerts[0]["message"] == "feed late"
    summary = tools["generate_daily_summary"].invoke({})["summary"]
    assert summary["alerts"] == {"count": 1, "critical": 1}
    assert summary["health"]["database"] is False  # no database in this context


def test_a_viewer_sending_an_alert_is_refused_by_the_sink_and_nothing_is_kept():
    ctx = _ctx(role="viewer")
    refused = all_tools(ctx)["send_alert"].invoke({"message": "feed late", "severity": "critical"})
    assert refused["code"] == "forbidden" and ctx.alert_sink.alerts == []


def test_services_not_built_yet_answer_unavailable_naming_the_module():
    result = all_tools(_ctx())["load_model"].invoke({"model_id": "xgb-1"})
    assert result["status"] == "unavailable"
    assert result["missing"]


def test_news_is_unavailable_offline():
    result = all_tools(_ctx(allow_network=False))["fetch_news"].invoke({"symbol": "AAPL"})
    assert result["status"] == "unavailable"


def test_promotion_request_is_approval_required_with_the_stage_approval_kind():
    result = all_tools(_ctx())["request_promotion"].invoke({"strategy_id": "sma-aapl", "to_stage": "live"})
    assert result["status"] == "approval_required"
    assert result["kind"] == "live"
    assert result["subject"]["strategy_id"] == "sma-aapl"
    assert result["evidence"]["live_trading_enabled"] is False


CALLS = [
    ("get_positions", {}), ("get_risk_limits", {}), ("generate_risk_report", {}), ("check_service_health", {}),
    ("collect_metrics", {}), ("generate_daily_summary", {}), ("stress_test", {}),
    ("compute_portfolio_exposure", {}), ("reconcile_positions", {"expected": {f"S{i}": i for i in range(500)}}),
    ("propose_risk_limit_change", {"changes": {"max_open_positions": 12}, "reason": "more names"}),
]


@pytest.mark.parametrize(("name", "args"), CALLS, ids=[c[0] for c in CALLS])
def test_results_are_compact_json(name, args):
    ctx = _ctx()
    for i in range(60):
        ctx.broker._prices[f"Z{i}"] = Decimal(10)
        _buy(ctx.broker, f"Z{i}", 1)
    result = all_tools(ctx)[name].invoke(args)
    assert result["status"] in ("ok", "approval_required")
    assert len(json.dumps(result)) <= MAX_RESULT_CHARS


def test_compact_value_cuts_long_lists_and_deep_nesting():
    value = {"rows": list(range(10_000)), "deep": {"a": {"b": {"c": {"d": 1}}}}}
    compacted = compact_value(value)
    assert compacted["rows"]["count"] == 10_000
    assert len(compacted["rows"]["first"]) == 20
    assert compacted["deep"]["a"]["b"] == {"keys": 1}
