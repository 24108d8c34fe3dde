"""``/quantpilot clock advance|set|real`` and ``/quantpilot check`` over signed Slack requests: a linked trader moves a
paper account's simulated market through the CLI's and the API's service, answered in the CLI's words and on
record; a viewer or an unlinked person is refused and bad input is named, the database unchanged; the pre-trade
check gives the service's own verdict."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.integration.execution.conftest import bars  # noqa: F401
from tests.integration.slack.conftest import command_form, post_signed
from tests.reliability.table_digest import changed_tables, table_digests
from tests.support.people import DANA

REPLAYS = "public.slack_request_replays"  # every accepted signed request is remembered (replay protection)


def _say(client, slack_user_id: str, words: str) -> str:
    answer = post_signed(client, command_form(words, slack_user_id))
    assert answer.status_code == 200, answer.text
    assert answer.json()["response_type"] == "ephemeral"
    return answer.json()["text"]


def _clock(database, settings, account: str = "paper"):
    from services.market_clock import MarketClockService

    return MarketClockService(database, settings).clock(account)


def _audit(database, action: str) -> list[tuple[str, str, str]]:
    with database.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT actor, channel, subject FROM audit_log WHERE action = :a "
                                                    "ORDER BY seq"), {"a": action}).all()]


def test_a_linked_trader_advances_sets_and_leaves_the_simulated_market_on_record(client, database, settings, people,
                                                                                  bars):  # noqa: F811
    from quant.display.clock import clock_text

    days = [d.to_pydatetime() for d in sorted(bars["ts"].unique())]
    start = _clock(database, settings)

    advanced = _say(client, people["tom"], "clock advance 2 days")
    after_advance = _clock(database, settings)
    moved = _say(client, people["tom"], f"clock set {days[40]:%Y-%m-%d}")
    after_set = _clock(database, settings)
    real = _say(client, people["tom"], "clock real")
    after_real = _clock(database, settings)

    assert start.simulated and start.now == days[20]
    assert after_advance.now == days[22]
    assert advanced.startswith("*Clock moved* by *tom*\n```account paper: simulated market "
                               f"{days[20]:%Y-%m-%d} → {days[22]:%Y-%m-%d} (2 sessions); 0 resting orders filled; "
                               "equity $100,000.00 ($0.00); trading active```")
    assert after_set.now == days[40]
    assert moved == f"*Clock set* by *tom*: {clock_text('paper', after_set.describe())}"
    assert moved.endswith(f"account paper: simulated market at {days[40]:%Y-%m-%d}")
    assert not after_real.simulated and real == "*Clock set* by *tom*: account paper: real time"
    assert _audit(database, "market_clock.advance") == [("tom", "slack", "account:paper")]
    assert _audit(database, "market_clock.set") == [("tom", "slack", "account:paper")]
    assert _audit(database, "market_clock.real_time") == [("tom", "slack", "account:paper")]


def test_another_account_moves_alone(client, database, settings, people, bars):  # noqa: F811
    paper_before = _clock(database, settings)

    answer = _say(client, people["tom"], "clock advance 3 sessions swing")

    assert "account swing: simulated market" in answer and "(3 sessions)" in answer
    assert _clock(database, settings) == paper_before
    assert _audit(database, "market_clock.advance") == [("tom", "slack", "account:swing")]


@pytest.mark.parametrize("words", ["clock advance 2", "clock set 2024-03-01", "clock real"])
@pytest.mark.parametrize(("who", "refusal"), [
    ("vic", ":no_entry: "), ("UNOBODY02", ":no_entry: <@UNOBODY02> is not linked to an active quantpilot user")])
def test_a_viewer_or_an_unlinked_person_may_not_move_the_clock_and_nothing_changes(client, database, settings, people,
                                                                                   bars, words, who, refusal):  # noqa: F811
    _say(client, people["tom"], "clock")  # the account's clock is stored on first use
    before = table_digests(database)

    answer = _say(client, people.get(who, who), words)

    assert answer.startswith(refusal)
    if who == "vic":
        assert "needs the trader role" in answer
    else:
        assert "quantpilot users link-slack NAME UNOBODY02" in answer
    assert changed_tables(before, table_digests(database)) == [REPLAYS]


@pytest.mark.parametrize(("words", "named"), [
    ("clock advance abc", "'abc' is not a whole number of sessions"),
    ("clock advance 2.5 days", "'2.5' is not a whole number of sessions"),
    ("clock advance -3 days", "1 to 2,520 sessions at a time, not -3"),
    ("clock advance 0", "1 to 2,520 sessions at a time, not 0"),
    ("clock advance 2 Not/An/Account", "account 'Not/An/Account' is not a valid account id"),
    ("clock advance 2 days swing extra", "too many words: 'swing extra'"),
    ("clock set yesterday", "date 'yesterday' is not a date: write YYYY-MM-DD"),
    ("clock set 2024-02-30", "date '2024-02-30' is not a date"),
    ("clock set 1990-01-01", "no stored bar at or before 1990-01-01"),
    ("clock set", "which date?"),
    ("clock real Not/An/Account", "account 'Not/An/Account' is not a valid account id"),
    ("check buy ten AAA", "qty"),
    ("check buy -5 AAA", "qty"),
    ("check hold 5 AAA", "side"),
    ("check buy 5 AAA at cheap", "limit_price"),
    ("check buy 5 AAA at", "at what price?"),
    ("check buy 5", "which order?"),
    ("check buy 5 AAA Not/An/Account", "account 'Not/An/Account' is not a valid account id"),
])
def test_bad_input_is_named_plainly_and_changes_nothing(client, database, settings, people, bars, words,  # noqa: F811
                                                        named):
    _say(client, people["tom"], "clock")
    before = table_digests(database)

    answer = _say(client, people["tom"], words)

    assert answer.startswith(":warning: ") and named in answer, answer
    assert "Traceback" not in answer
    assert changed_tables(before, table_digests(database)) == [REPLAYS]


def test_the_check_passes_a_small_order_and_names_the_limit_an_oversized_one_breaks(client, database, settings,
                                                                                  people, bars):  # noqa: F811
    from services.execution_path import execution_service
    from services.pre_trade_check import check_order

    def direct(**order):
        return check_order(execution_service(database, settings), DANA, symbol="AAA", strategy_id="manual",
                           order_type="market", **order).to_dict()

    from quant.display.risk_check import check_verdict

    small = _say(client, people["vic"], "check buy 5 AAA")
    big = _say(client, people["vic"], "check BUY 100,000 aaa")
    small_direct, big_direct = direct(side="buy", qty="5"), direct(side="buy", qty="100000")

    assert small_direct["approved"] and not big_direct["approved"]
    assert small == ":white_check_mark: *Risk check* of `buy 5 AAA` in account `paper`: passes the risk policy"
    assert big == f":x: *Risk check* of `buy 100,000 AAA` in account `paper`: {check_verdict(big_direct)}"
    cap = big_direct["details"]["NOTIONAL_CAP_EXCEEDED"]
    assert big_direct["codes"][0] == "NOTIONAL_CAP_EXCEEDED" and cap["threshold"] == 50_000
    assert "\n- notional cap exceeded: the order's value is over the cap for one order ($" in big
    assert "against a limit of $50,000.00)" in big
    assert big.count("\n- ") == len(big_direct["codes"])  # every reason, each on its own line


def test_a_check_of_an_unstored_symbol_is_refused_naming_it(client, people, bars):  # noqa: F811
    answer = _say(client, people["tom"], "check sell 5 ZZZZ")

    assert answer.startswith(":x: *Risk check* of `sell 5 ZZZZ` in account `paper`: rejected:")
    assert "no price for ZZZZ" in answer


def test_help_lists_the_clock_moves_and_the_check(client, people):
    answer = _say(client, people["tom"], "help")

    for usage in ("/quantpilot clock advance N [days|sessions] [account]", "/quantpilot clock set YYYY-MM-DD [account]",
                  "/quantpilot clock real [account]", "/quantpilot check BUY|SELL QTY SYMBOL [at PRICE] [account]"):
        assert usage in answer


def test_slack_answers_a_clock_advance_and_a_check_in_the_clis_words(client, database, people, bars, act_as):  # noqa: F811
    from tests.integration.cli_runner import run_cli

    act_as("trader")
    on_slack = _say(client, people["tom"], "clock advance 3 days swing")
    on_cli = run_cli("paper", "clock", "advance", "--days", "3", "--account", "swing-2", width=200)
    check_slack = _say(client, people["tom"], "check sell 20,000 BBB")
    check_cli = run_cli("risk", "check", "--symbol", "BBB", "--qty", "20000", "--side", "sell", width=200)

    assert on_cli.exit_code == 0, on_cli.stderr
    assert on_slack.split("```")[1] == on_cli.stdout.strip().replace("swing-2", "swing")
    assert check_cli.exit_code == 2 and check_cli.stdout.startswith("rejected:\n- ")
    assert check_slack == f":x: *Risk check* of `sell 20,000 BBB` in account `paper`: {check_cli.stdout.strip()}"
