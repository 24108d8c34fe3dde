"""End to end in headless Chromium: log in with an API key, ask for a backtest in the chat and watch the
streamed answer, request promotions from the chat, approve them as another person on the Approvals
page, and see the strategy's stage change. Stored state is read back from the database to check the
pages told the truth.
"""

from __future__ import annotations

import pytest

from memory.approvals import ApprovalStore
from memory.runs import RunStore
from memory.strategies import StrategyRegistry
from tests.support.people import SYSTEM

pytestmark = [pytest.mark.browser, pytest.mark.slow]
STRATEGY = "sma_crossover_aapl_msft"
TURN_MS = 90_000


def log_in(browser, live_app, name: str):
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.goto(f"{live_app.base_url}/web/")
    assert "/web/login" in page.url  # not logged in yet: sent to the log-in form
    page.fill("#api_key", live_app.keys[name])
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_app.base_url}/web/")
    assert page.locator("[data-testid=user]").inner_text() == name
    return page


def say(page, text: str):
    """Send ``text`` in the chat; returns the bot message element once the stream has ended."""
    before = page.locator(".msg.bot").count()
    page.fill("#message", text)
    page.click("#send")
    bot = page.locator(".msg.bot").nth(before)
    bot.locator("[data-testid=answer]").wait_for(timeout=TURN_MS)
    page.wait_for_function("() => !document.querySelector('.msg.bot.streaming')", timeout=TURN_MS)
    return bot


def approve_on_approvals_page(page, live_app, approval_id: str, comment: str):
    page.goto(f"{live_app.base_url}/web/approvals")
    card = page.locator(f"#approval-{approval_id}")
    card.locator("input[name=comment]").fill(comment)
    card.locator("button[data-action=approve]").click()
    decided = page.locator(f"#approval-{approval_id}.decided")
    decided.wait_for(timeout=TURN_MS)
    return decided


def test_chat_backtest_then_paper_promotion_approved_on_the_approvals_page(live_app, chromium, shot):
    approvals, registry, runs = (ApprovalStore(live_app.database), StrategyRegistry(live_app.database),
                                 RunStore(live_app.database))
    trader = log_in(chromium, live_app, "tina")
    shot(trader, "overview")
    assert trader.locator("[data-testid=trading-state]").inner_text() == "ACTIVE"

    trader.goto(f"{live_app.base_url}/web/chat")
    backtest = say(trader, "backtest an SMA crossover on AAPL and MSFT since 2015")
    (run,) = runs.list()
    assert (run.kind, run.status, run.symbols) == ("backtest", "done", ["AAPL", "MSFT"])
    assert "backtest strategy: sma_crossover on AAPL and MSFT" in backtest.locator(".tool.call").first.inner_text()
    answer = backtest.locator("[data-testid=answer]").inner_text()
    assert answer.startswith(f"Backtest run {run.id}: sma_crossover (fast 10, slow 50) on AAPL and MSFT") and \
        "=" not in answer
    shot(trader, "chat-backtest")

    say(trader, "run a walk-forward of it")
    review = say(trader, "promote it to backtested")
    card = review.locator(".approval")
    assert card.locator(".kind").inner_text() == "strategy"
    assert card.locator("button[data-action=approve]").count() == 0  # a trader cannot approve
    review_id = card.get_attribute("data-approval-id")
    assert approvals.get(review_id).requester == "tina"

    approver = log_in(chromium, live_app, "alice")
    approve_on_approvals_page(approver, live_app, review_id, "reviewed")
    assert registry.get(STRATEGY).stage == "backtested"

    paper = say(trader, "promote it to paper")
    paper_id = paper.locator(".approval").get_attribute("data-approval-id")
    assert paper.locator(".approval .kind").inner_text() == "paper"
    shot(trader, "chat-approval-card")

    approver.goto(f"{live_app.base_url}/web/strategies")
    assert approver.locator(f"[data-testid=stage-{STRATEGY}]").inner_text() == "backtested"
    decided = approve_on_approvals_page(approver, live_app, paper_id, "paper is fine")
    assert decided.get_attribute("data-status") == "applied"
    shot(approver, "approvals-decided")

    stored = approvals.get(paper_id)
    assert (stored.status, stored.decision.approver, stored.decision.channel) == ("applied", "alice", "web")
    assert registry.get(STRATEGY).stage == "paper"
    approver.goto(f"{live_app.base_url}/web/strategies")
    assert approver.locator(f"[data-testid=stage-{STRATEGY}]").inner_text() == "paper"
    shot(approver, "strategies-paper")


def test_runs_page_links_the_report_and_draws_the_equity_chart(live_app, chromium, shot, tmp_path):
    from services.research.service import ResearchService

    summary = ResearchService(live_app.database, artifacts_dir=tmp_path, actor=SYSTEM).backtest(
        "sma_crossover", ["AAPL", "MSFT"], start="2015-01-01", report=True, created_by="tina")
    run_id = summary["run_id"]
    trader = log_in(chromium, live_app, "tina")

    trader.goto(f"{live_app.base_url}/web/runs")
    row = trader.locator(f"tr[data-run-id='{run_id}']")
    assert row.locator("a", has_text="HTML report").get_attribute("href") == f"/web/runs/{run_id}/report"
    shot(trader, "runs")
    trader.goto(f"{live_app.base_url}/web/runs/{run_id}")
    trader.wait_for_selector("#equity-chart[data-drawn=true] .main-svg", timeout=30_000)
    shot(trader, "run-chart")

    report = trader.goto(f"{live_app.base_url}/web/runs/{run_id}/report")
    assert report.status == 200 and "sandbox" in report.headers["content-security-policy"]
    trader.wait_for_selector(".main-svg", timeout=30_000)  # the report's own inline plotly ran, sandboxed
    assert f"run {run_id}" in trader.content()
    shot(trader, "run-report")


def test_log_out_ends_the_session_so_a_copied_cookie_leads_back_to_the_log_in_form(live_app, chromium, shot):
    trader = log_in(chromium, live_app, "tina")
    (cookie,) = [c for c in trader.context.cookies() if c["name"] == "qp_session"]

    trader.click("header form[action='/web/logout'] button")
    trader.wait_for_url(f"{live_app.base_url}/web/login")
    elsewhere = chromium.new_context()  # someone who copied the cookie before the log-out
    elsewhere.add_cookies([cookie])
    copied = elsewhere.new_page()
    copied.goto(f"{live_app.base_url}/web/approvals")

    assert "/web/login" in copied.url and copied.locator("#api_key").is_visible()
    trader.go_back()
    trader.reload()
    assert "/web/login" in trader.url
    shot(copied, "logged-out-cookie")
