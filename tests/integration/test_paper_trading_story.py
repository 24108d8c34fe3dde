"""The story of issue 18, end to end on a fresh install (an empty database) without network, through the CLI as
people use it: `quantpilot demo`, then a trader asks the chat to buy 5 AAPL in the default paper account, another
user (an approver) approves, the order fills at the simulated market's price, `positions` shows its value and P&L,
the clock advances a day and the P&L moves; the default account is ACTIVE, the demo's account HALTED."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.integration.cli_runner import run_cli


@pytest.mark.slow  # the whole demo (about a minute and a half on 2 busy cores)
def test_after_the_demo_a_trader_buys_in_the_default_account_through_the_chat_and_an_approver_approves(
        database, test_home, monkeypatch):
    demo = run_cli("demo", "--json")
    assert demo.exit_code == 0, demo.stderr[-2000:]
    keys = test_home / "demo-keys"
    as_dana = (keys / "dana.key").read_text(encoding="utf-8").strip()
    as_avery = (keys / "avery.key").read_text(encoding="utf-8").strip()
    monkeypatch.setenv("QUANTPILOT_API_KEY", as_dana)

    clean = json.loads(run_cli("positions", "--json").stdout)
    asked = json.loads(run_cli("chat", "--once", "buy 5 shares of AAPL", "--json").stdout)
    pending = asked["pending_approval"]
    request = json.loads(run_cli("approvals", "show", pending["id"], "--json").stdout)
    monkeypatch.setenv("QUANTPILOT_API_KEY", as_avery)
    approved = run_cli("approvals", "approve", pending["id"])
    monkeypatch.setenv("QUANTPILOT_API_KEY", as_dana)
    bought = json.loads(run_cli("positions", "--json").stdout)
    advanced = run_cli("paper", "clock", "advance", "--days", "1")
    a_day_later = json.loads(run_cli("positions", "--json").stdout)
    default = json.loads(run_cli("risk", "status", "--json").stdout)
    demo_account = json.loads(run_cli("risk", "status", "--account", "demo", "--json").stdout)
    shown = run_cli("positions")

    assert clean["positions"] == [] and clean["account_id"] == "paper"
    assert (request["kind"], request["requester"], request["subject"]["account_id"]) == ("paper_order", "dana", "paper")
    assert approved.exit_code == 0 and "filled" in approved.stdout
    (aapl,) = bought["positions"]
    mark, fill = Decimal(aapl["mark_usd"]), Decimal(aapl["avg_entry_price"])
    assert (aapl["symbol"], Decimal(aapl["qty"])) == ("AAPL", 5)
    assert fill == (mark * Decimal("1.0005")).quantize(Decimal("0.0001"))  # the simulated close, 5 bp of slippage
    assert bought["as_of"] == aapl["price_ts"] and bought["clock"].startswith("simulated market at ")
    assert Decimal(aapl["value_usd"]) == 5 * mark
    assert advanced.exit_code == 0 and "(1 session)" in advanced.stdout
    (later,) = a_day_later["positions"]
    assert later["price_ts"] > aapl["price_ts"] and later["unrealized_pnl_usd"] != aapl["unrealized_pnl_usd"]
    assert (default["account_id"], default["trading_state"]) == ("paper", "active")
    assert (demo_account["account_id"], demo_account["trading_state"]) == ("demo", "halted")
    assert demo_account["release"].startswith("quantpilot risk reset-breaker request --account demo")
    assert "AAPL" in shown.stdout and "unrealized" in shown.stdout
