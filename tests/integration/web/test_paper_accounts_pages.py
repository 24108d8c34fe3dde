"""The web pages of a paper account: positions with mark, value and P&L at its clock; Controls name the halt and the
command that lifts it, and offer the breaker-reset request; a refused close of the kill switch is said."""

from __future__ import annotations

from sqlalchemy import text

from tests.integration.execution.conftest import bars, intent, paper_strategy, stranded_position  # noqa: F401
from tests.integration.web.conftest import log_in
from tests.support.people import BOB


def _settings():
    from config import Settings

    return Settings()


def test_a_refused_close_of_the_kill_switch_is_said_on_the_page(client, keys, database, bars, paper_strategy):  # noqa: F811
    stranded_position(database, _settings())
    csrf = log_in(client, keys["approver"])

    answer = client.post("/web/controls/kill-switch", data={"csrf_token": csrf, "reason": "drill", "flatten": "on"},
                         headers={"HX-Request": "true"})

    assert answer.status_code == 200
    assert 'class="notice notice-failed" role="alert"' in answer.text
    assert "sell 10 AAA: REFUSED" in answer.text and "1 position still open: AAA" in answer.text


def test_controls_name_a_breaker_halt_and_offer_the_reset_request(client, keys, database, bars, paper_strategy):  # noqa: F811
    from services.execution_path import execution_service

    service = execution_service(database, _settings())
    service.book()
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE paper_accounts SET cash_usd = 80000 WHERE account_id = 'paper'"))
    csrf = log_in(client, keys["trader"])

    page = client.get("/web/controls")
    asked = client.post("/web/controls/breaker-reset-request", data={"csrf_token": csrf, "reason": "reviewed"},
                        headers={"HX-Request": "true"})

    assert 'data-testid="trading-state">HALTED' in page.text
    assert "drawdown breaker: drawdown" in page.text
    assert "quantpilot risk reset-breaker request --account paper" in page.text
    assert 'action="/web/controls/breaker-reset-request"' in page.text
    assert asked.status_code == 200 and "breaker reset of account paper requested: approval apr_" in asked.text


def test_positions_show_mark_value_and_pnl_at_the_accounts_clock(client, keys, database, bars, paper_strategy):  # noqa: F811
    from services.execution_path import execution_service

    execution_service(database, _settings()).place(BOB, intent(qty=10))
    log_in(client, keys["viewer"])

    page = client.get("/web/positions")

    day = sorted(bars["ts"].unique())[20]
    assert page.status_code == 200
    assert f"paper account paper · simulated market at {day:%Y-%m-%d}" in page.text
    assert "<td>AAA</td>" in page.text and f"<td>{day:%Y-%m-%d}</td>" in page.text
