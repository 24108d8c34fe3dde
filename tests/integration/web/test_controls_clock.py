"""The Controls page moves a paper account's simulated market clock — advance by sessions, set to a date, back to
real time — through the same audited service call as the CLI and the API: a trader may, a viewer is refused with
the API's words, and a bad count, date, account or CSRF token changes nothing."""

from __future__ import annotations

import html

import pytest

from tests.integration.execution.conftest import bars, count  # noqa: F401
from tests.integration.web.conftest import log_in

HTMX = {"HX-Request": "true"}


def _clock(database, account: str = "paper"):
    from config import Settings
    from services.market_clock import MarketClockService

    return MarketClockService(database, Settings()).clock(account)


def _sessions(bars) -> list:  # noqa: F811
    return sorted(bars["ts"].unique())


def test_a_trader_advances_the_clock_and_sees_it_on_the_page_and_in_the_audit_log(client, keys, database, bars):  # noqa: F811
    days = _sessions(bars)
    csrf = log_in(client, keys["trader"])
    before = client.get("/web/controls")

    moved = client.post("/web/controls/clock/advance", data={"csrf_token": csrf, "days": "2", "account": "paper"},
                        headers=HTMX)
    after = client.get("/web/controls")

    assert f"simulated market at {days[20]:%Y-%m-%d}" in before.text
    assert 'action="/web/controls/clock/advance"' in before.text
    assert moved.status_code == 200, moved.text
    assert (f"account paper: simulated market {days[20]:%Y-%m-%d} → {days[22]:%Y-%m-%d} (2 sessions); "
            "0 resting orders filled; equity $100,000.00") in html.unescape(moved.text)
    assert _clock(database).now == days[22]
    assert f"simulated market at {days[22]:%Y-%m-%d}" in after.text
    assert count(database, "audit_log", "action = 'market_clock.advance' AND actor = 'trader' AND channel = 'web' "
                 "AND subject = 'account:paper'") == 1


def test_a_trader_sets_the_clock_to_a_date_then_returns_it_to_real_time(client, keys, database, bars):  # noqa: F811
    days = _sessions(bars)
    csrf = log_in(client, keys["trader"])

    moved = client.post("/web/controls/clock/set", data={"csrf_token": csrf, "date": f"{days[40]:%Y-%m-%d}"},
                        headers=HTMX)
    set_page = client.get("/web/controls")
    real = client.post("/web/controls/clock/real", data={"csrf_token": csrf}, headers=HTMX)
    real_page = client.get("/web/controls")

    assert moved.status_code == 200 and f"the clock is now the simulated market at {days[40]:%Y-%m-%d}" in moved.text
    assert f"simulated market at {days[40]:%Y-%m-%d}" in set_page.text
    assert real.status_code == 200 and "account paper: the clock is now real time" in real.text
    assert _clock(database).mode == "real"
    assert real_page.status_code == 200 and 'data-testid="clock">real time' in real_page.text
    assert 'action="/web/controls/clock/advance"' not in real_page.text  # only a simulated clock moves
    for action in ("market_clock.set", "market_clock.real_time"):
        assert count(database, "audit_log", "action = :a AND actor = 'trader' AND channel = 'web'", a=action) == 1


def test_a_plain_form_post_moves_the_clock_of_its_account_and_returns_to_that_accounts_page(client, keys, database,
                                                                                          bars):  # noqa: F811
    days = _sessions(bars)
    csrf = log_in(client, keys["trader"])
    client.get("/web/controls?account=swing")

    answer = client.post("/web/controls/clock/advance", data={"csrf_token": csrf, "days": "1", "account": "swing"},
                         follow_redirects=False)

    assert answer.status_code == 303 and answer.headers["location"] == "/web/controls?account=swing"
    assert _clock(database, "swing").now == days[21]
    assert _clock(database).now == days[20]  # the default account's clock did not move


def test_a_viewer_is_refused_with_the_apis_words_and_the_clock_stays(client, keys, database, bars):  # noqa: F811
    from tests.integration.api.conftest import auth

    csrf = log_in(client, keys["viewer"])
    before = _clock(database)
    page = client.get("/web/controls")

    refused = {path: client.post(f"/web/controls/clock/{path}", data={"csrf_token": csrf, "days": "1",
                                                                       "date": "2024-02-01"})
               for path in ("advance", "set", "real")}
    api = client.post("/api/v1/clock/advance", json={"days": 1}, headers=auth(keys["viewer"]))

    assert page.status_code == 200
    assert api.status_code == 403
    for answer in refused.values():
        assert answer.status_code == 403
        assert api.json()["error"]["message"] in html.unescape(answer.text)
    assert _clock(database) == before
    assert count(database, "audit_log", "action LIKE 'market_clock.%'") == 0


@pytest.mark.parametrize(("path", "form", "status", "words"), [
    ("set", {"date": "next tuesday"}, 400, "date 'next tuesday' is not a date: write YYYY-MM-DD"),
    ("set", {"date": ""}, 400, "is not a date"),
    ("set", {"date": "1999-01-04"}, 422, "no stored bar at or before 1999-01-04"),
    ("advance", {"days": "-3"}, 400, "1 to 2,520 sessions at a time, not -3"),
    ("advance", {"days": "0"}, 400, "1 to 2,520 sessions at a time, not 0"),
    ("advance", {"days": "two"}, 400, "days 'two' is not a whole number of sessions"),
    ("advance", {"days": "1", "account": "Not One"}, 400, "'Not One' is not a valid account id"),
    ("real", {"account": "no/such"}, 400, "'no/such' is not a valid account id"),
])
def test_bad_input_is_refused_by_name_and_moves_nothing(client, keys, database, bars, path, form, status, words):  # noqa: F811
    csrf = log_in(client, keys["trader"])
    before = _clock(database)

    answer = client.post(f"/web/controls/clock/{path}", data={"csrf_token": csrf, **form}, headers=HTMX)

    assert answer.status_code == status, answer.text
    assert words in html.unescape(answer.text)
    assert _clock(database) == before
    assert count(database, "audit_log", "action LIKE 'market_clock.%'") == 0


@pytest.mark.parametrize("path", ["advance", "set", "real"])
def test_moving_the_clock_without_the_csrf_token_is_refused(client, keys, database, bars, path):  # noqa: F811
    log_in(client, keys["trader"])
    before = _clock(database)

    answer = client.post(f"/web/controls/clock/{path}", data={"days": "1", "date": "2024-02-01"})

    assert answer.status_code == 403 and "CSRF check failed" in answer.text
    assert _clock(database) == before
