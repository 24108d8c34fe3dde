"""A safety action reports what happened: the kill switch's flatten lists each close order with its final state; a
refused close is said plainly, the CLI exits non-zero and a critical alert is raised."""

from __future__ import annotations

import json

from quant.execution.orders import OrderStatus
from tests.integration.cli_runner import run_cli
from tests.integration.execution.conftest import count, intent, stranded_position
from tests.support.people import BOB, CAROL


def test_a_flatten_that_closes_everything_lists_each_close_as_filled(database, service, bars, paper_strategy):
    service.place(BOB, intent(qty=10))
    service.place(BOB, intent(symbol="BBB", qty=4, key="b"))

    report = service.kill_switch_on(CAROL, reason="drill", flatten=True)

    assert [(c.symbol, c.side, c.qty, c.status) for c in report.closes] == [("AAA", "sell", 10, "filled"),
                                                                           ("BBB", "sell", 4, "filled")]
    assert report.refused == () and service.broker.get_positions() == ()
    assert count(database, "events", "kind = 'SystemAlert'") == 0


def test_a_refused_close_is_reported_with_its_reason_and_raises_a_critical_alert(database, bars, settings,
                                                                                 paper_strategy):
    from services.execution_path import execution_service

    stranded_position(database, settings)
    service = execution_service(database, settings)

    report = service.kill_switch_on(CAROL, reason="drill", flatten=True)

    (close,) = report.closes
    assert (close.symbol, close.status, close.refused) == ("AAA", "refused", True)
    assert "STALE_PRICE" in close.reason and "days before the decision time" in close.reason
    assert {p.symbol: p.qty for p in service.broker.get_positions()} == {"AAA": 10}  # still open, and said so
    assert count(database, "events", "kind = 'SystemAlert' AND payload->>'severity' = 'critical'") == 1
    assert count(database, "audit_log", "action = 'trading.flatten_incomplete'") == 1


def test_the_cli_lists_each_close_says_a_refusal_and_exits_non_zero(database, bars, settings, paper_strategy, act_as):
    stranded_position(database, settings)
    act_as("approver")

    text = run_cli("kill-switch", "on", "--flatten", "--reason", "drill")
    again = run_cli("kill-switch", "on", "--flatten", "--reason", "drill again", "--json")

    assert text.exit_code == 1
    lines = text.stdout.splitlines()
    assert lines[0].startswith("trading HALTED in every account")
    assert "flatten of account paper: 0 of 1 close order done" in text.stdout
    assert any(line.strip().startswith("sell 10 AAA: REFUSED") and "STALE_PRICE" in line for line in lines)
    assert "WARNING: 1 position still open: AAA. A critical alert was raised." in text.stdout
    data = json.loads(again.stdout)
    assert again.exit_code == 1 and data["refused_closes"] == 1 and data["closes"][0]["status"] == "refused"


def test_a_flatten_order_that_fills_ends_filled_in_the_outbox_too(database, service, bars, paper_strategy):
    service.place(BOB, intent(qty=7))

    (close,) = service.kill_switch_on(CAROL, reason="drill", flatten=True).closes

    assert service.orders.get(close.client_order_id).order.status is OrderStatus.FILLED
