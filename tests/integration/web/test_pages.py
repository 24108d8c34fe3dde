"""Every dashboard page renders for a logged-in viewer, shows what is stored, and carries a strict CSP."""

from __future__ import annotations

import pytest

from memory.runs import RunStore
from tests.integration.web.conftest import log_in, pending_request

PAGES = ["/web/", "/web/chat", "/web/strategies", "/web/positions", "/web/runs", "/web/approvals",
         "/web/controls", "/web/health"]


@pytest.fixture()
def stored(database):
    """A strategy with a pending paper approval and a finished research run (no artifacts)."""
    approval_id = pending_request(database)
    runs = RunStore(database)
    run_id = runs.create("backtest", strategy="sma_crossover", symbols=["AAPL"], params={"fast": 10},
                         created_by="trader")
    runs.finish(run_id, metrics={"sharpe": 0.75, "trades": 12, "max_drawdown": -0.1, "total_return": 0.2})
    return {"approval_id": approval_id, "run_id": run_id}


@pytest.mark.parametrize("path", PAGES)
def test_each_page_renders_for_a_viewer_with_a_strict_csp(client, keys, stored, path):
    log_in(client, keys["viewer"])

    page = client.get(path)

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert "<script>" not in page.text  # no inline script: every script is a same-origin file


def test_pages_show_the_stored_strategy_approval_and_run(client, keys, stored):
    log_in(client, keys["viewer"])

    strategies = client.get("/web/strategies").text
    approvals = client.get("/web/approvals").text
    runs = client.get("/web/runs").text

    assert 'data-testid="stage-sma_web">backtested<' in strategies
    assert f'id="approval-{stored["approval_id"]}"' in approvals
    assert "data-action=\"approve\"" not in approvals  # a viewer sees no Approve button
    assert f'data-run-id="{stored["run_id"]}"' in runs
    assert ">0.75<" in runs and ">+20.00%<" in runs and ">12<" in runs  # numbers written by quant.display


def test_an_approver_sees_approve_and_reject_buttons(client, keys, stored):
    log_in(client, keys["approver"])

    page = client.get("/web/approvals").text

    assert 'data-action="approve"' in page and 'data-action="reject"' in page


def test_a_run_page_renders_and_a_finished_run_without_one_gets_its_report_rendered(client, keys, stored):
    log_in(client, keys["viewer"])

    page = client.get(f"/web/runs/{stored['run_id']}")
    report = client.get(f"/web/runs/{stored['run_id']}/report")

    assert page.status_code == 200 and "None" not in page.text and "fast=10" in page.text
    assert report.status_code == 200 and "sandbox" in report.headers["content-security-policy"]
    assert "<td>Sharpe</td><td>0.75</td>" in report.text and '<script src="plotly.min.js"' in report.text
    assert client.get(f"/web/runs/{stored['run_id']}/plotly.min.js").text.startswith("/**")  # the bundle's banner
    assert client.get("/web/runs/999999").status_code == 404
    assert client.get("/web/runs/999999/report").status_code == 404


def test_the_chat_panel_tells_a_viewer_that_chatting_needs_the_trader_role(client, keys):
    log_in(client, keys["viewer"])

    page = client.get("/web/chat").text

    assert 'id="chat-form"' not in page and "needs the trader role" in page


def test_static_files_and_plotly_are_served_from_this_origin(client):
    htmx = client.get("/web/static/htmx.min.js")
    plotly = client.get("/web/plotly.min.js")

    assert htmx.status_code == 200 and htmx.text.startswith("/*! htmx.org 2.0.11")
    assert "Zero-Clause BSD" in htmx.text[:400]
    assert plotly.status_code == 200 and plotly.headers["content-type"].startswith("text/javascript")


def test_the_chat_page_builds_the_product_graph_on_first_use(client, keys, app):
    del app.state.web_chat  # as in production: nothing injected
    log_in(client, keys["trader"])

    page = client.get("/web/chat")

    assert page.status_code == 200 and 'id="chat-form"' in page.text
    assert app.state.web_chat.context.channel == "web" and app.state.web_chat.graph is not None


def test_positions_show_share_counts_without_the_ledgers_ten_decimals():
    from datetime import UTC, datetime
    from decimal import Decimal

    from api.web.rendering import NAV, templates
    from api.web.session import CSRF_FIELD
    from services.holdings import Holding, Holdings

    row = Holding("AAPL", Decimal("146.0000000000"), Decimal("147.6997"), Decimal("125.67"),
                  datetime(2022, 6, 13, tzinfo=UTC))
    ledger = {k: Decimal(0) for k in ("starting_cash_usd", "cash_usd", "fees_paid_usd", "realized_pnl_usd")}
    holdings = Holdings("paper", datetime(2022, 6, 13, tzinfo=UTC), "simulated market at 2022-06-13", Decimal(0),
                        Decimal("18347.82"), Decimal(0), (row,))

    html = templates.env.get_template("positions.html").render(positions=[row], holdings=holdings, orders=[],
                                                               ledger=ledger, session=None, nav=NAV,
                                                               csrf_field=CSRF_FIELD)

    assert '<td class="num">146</td>' in html and "146.0000000000" not in html
