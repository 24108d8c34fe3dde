"""Paper accounts through the API: positions with mark, value and P&L, each account its own book (``?account=``),
a breaker halt named with the command that lifts it and lifted through an approved reset, the simulated market
clock advanced by a trader."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text

from guardrails.policy import Role
from tests.integration.api_agent.test_trading import order, paper_strategy  # noqa: F401


def test_positions_carry_mark_value_and_pnl_and_each_account_is_its_own_book(client, headers, paper_strategy):  # noqa: F811
    placed = client.post("/api/v1/orders", json=order("pos-1"), headers=headers[Role.TRADER])
    mine = client.get("/api/v1/positions", headers=headers[Role.VIEWER]).json()
    swing = client.get("/api/v1/positions?account=swing", headers=headers[Role.VIEWER]).json()
    bad = client.get("/api/v1/positions?account=Not%20An%20Account", headers=headers[Role.VIEWER])

    assert placed.status_code == 201, placed.text
    (aapl,) = mine["positions"]
    assert mine["account_id"] == "paper" and aapl["symbol"] == "AAPL"
    assert Decimal(aapl["value_usd"]) == Decimal(aapl["qty"]) * Decimal(aapl["mark_usd"])
    assert Decimal(mine["unrealized_pnl_usd"]) == Decimal(aapl["unrealized_pnl_usd"]) < 0  # bought with slippage
    assert (swing["account_id"], swing["positions"], Decimal(swing["cash_usd"])) == ("swing", [], 100_000)
    assert bad.status_code == 422


def test_a_breaker_halt_is_named_and_lifted_by_an_approved_reset(client, headers, loaded, paper_strategy):  # noqa: F811
    client.get("/api/v1/risk/status", headers=headers[Role.VIEWER])
    with loaded.engine.begin() as conn:
        conn.execute(text("UPDATE paper_accounts SET cash_usd = 80000 WHERE account_id = 'paper'"))
    trader, approver = headers[Role.TRADER], headers[Role.APPROVER]

    halted = client.get("/api/v1/risk/status", headers=headers[Role.VIEWER]).json()
    asked = client.post("/api/v1/risk/breaker/reset-request", json={"reason": "reviewed"}, headers=trader)
    too_early = client.post("/api/v1/risk/breaker/reset", json={"approval_id": asked.json()["approval_id"]},
                            headers=trader)
    decided = client.post(f"/api/v1/approvals/{asked.json()['approval_id']}/approve", headers=approver)
    reset = client.post("/api/v1/risk/breaker/reset", json={"approval_id": asked.json()["approval_id"]},
                        headers=trader)

    assert (halted["trading_state"], halted["account_id"]) == ("halted", "paper")
    assert halted["reason"].startswith("drawdown breaker") and "reset-breaker request --account paper" in \
        halted["release"]
    assert asked.status_code == 201 and too_early.status_code == 409 and decided.status_code == 200
    assert reset.status_code == 200 and reset.json()["trading_state"] == "active"


def test_a_trader_advances_the_simulated_market_and_a_viewer_reads_the_clock(client, headers, loaded):
    before = client.get("/api/v1/clock", headers=headers[Role.VIEWER]).json()
    refused = client.post("/api/v1/clock/advance", json={"days": 2}, headers=headers[Role.VIEWER])
    moved = client.post("/api/v1/clock/advance", json={"days": 2}, headers=headers[Role.TRADER])
    after = client.get("/api/v1/clock", headers=headers[Role.VIEWER]).json()

    assert before["mode"] == "simulated" and before["description"].startswith("simulated market at 2024-")
    assert refused.status_code == 403
    assert moved.status_code == 200 and moved.json()["sessions"] == 2 and moved.json()["from"] == before["now"]
    assert after["now"] == moved.json()["to"] > before["now"]
