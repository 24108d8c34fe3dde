"""``/quantpilot`` on a paper account: status names the halt and the command that lifts it; the kill switch's
flatten lists each close, a refused one said plainly; positions show mark, value and P&L."""

from __future__ import annotations

from sqlalchemy import text

from tests.integration.execution.conftest import bars, intent, paper_strategy, stranded_position  # noqa: F401
from tests.integration.slack.conftest import command_form, post_signed
from tests.support.people import BOB


def test_a_kill_switch_flatten_from_slack_says_which_close_was_refused(client, database, people, settings, bars,  # noqa: F811
                                                                       paper_strategy):  # noqa: F811
    stranded_position(database, settings)

    answer = post_signed(client, command_form("kill switch on --flatten drill", people["alice"]))

    reply = answer.json()["text"]
    assert answer.json()["response_type"] == "in_channel" and reply.startswith(":warning: Trading HALTED by *alice*")
    assert "sell 10 AAA: REFUSED" in reply and "1 position still open: AAA" in reply


def test_status_names_a_breaker_halt_and_the_command_that_lifts_it(client, database, people, settings, bars,  # noqa: F811
                                                                   paper_strategy):  # noqa: F811
    from services.execution_path import execution_service

    execution_service(database, settings).book()
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE paper_accounts SET cash_usd = 80000 WHERE account_id = 'paper'"))

    reply = post_signed(client, command_form("status", people["tom"])).json()["text"]

    assert reply.startswith("*Trading state:* HALTED") and "account `paper` · simulated market at" in reply
    assert "*Why:* drawdown breaker: drawdown" in reply
    assert "*To lift it:* `quantpilot risk reset-breaker request --account paper" in reply


def test_positions_show_mark_value_and_unrealized_pnl(client, database, people, settings, bars, paper_strategy):  # noqa: F811
    from services.execution_path import execution_service

    execution_service(database, settings).place(BOB, intent(qty=10))

    reply = post_signed(client, command_form("positions", people["vic"])).json()["text"]

    assert reply.startswith("*Positions*\n```account paper · simulated market at")
    header, row = reply.split("\n")[-2:]
    assert header.split() == ["symbol", "shares", "avg", "entry", "mark", "value", "unrealized", "price", "of"]
    assert row.split()[:2] == ["AAA", "10"] and row.split()[4].startswith("$") and row.split()[5].startswith("-$")
