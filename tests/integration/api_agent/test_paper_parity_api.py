"""The API offers what the CLI offers for paper trading, with the same service and the same answer: a pre-trade
check (``risk check`` / ``POST /risk/check``), the accounts overview (``paper accounts`` / ``GET /paper/accounts``),
setting the simulated clock or leaving it (``paper clock set|real`` / ``POST /clock/set|real``), and a halt named
with the CLI command and the API calls that lift it."""

from __future__ import annotations

import json

from guardrails.policy import Role
from tests.integration.cli_runner import run_cli

CHECK = "/api/v1/risk/check"


def cli_check(*args: str) -> tuple[int, dict]:
    result = run_cli("risk", "check", "--symbol", "AAPL", "--side", "buy", *args, "--json")
    return result.exit_code, json.loads(result.stdout)


def test_a_pre_trade_check_passes_and_a_refusal_is_a_200_with_its_code_as_on_the_cli(client, headers, loaded):
    viewer = headers[Role.VIEWER]

    passes = client.post(CHECK, json={"symbol": "AAPL", "side": "buy", "qty": "1"}, headers=viewer)
    refused = client.post(CHECK, json={"symbol": "AAPL", "side": "buy", "qty": "1", "order_type": "limit",
                                       "limit_price": "1"}, headers=viewer)
    cli_passes = cli_check("--qty", "1")
    cli_refused = cli_check("--qty", "1", "--type", "limit", "--limit-price", "1")

    assert passes.status_code == 200, passes.text
    assert passes.json()["approved"] is True and passes.json()["codes"] == []
    assert refused.status_code == 200, refused.text
    body = refused.json()
    assert body["approved"] is False and body["codes"] == ["FAT_FINGER"]
    assert body["details"]["FAT_FINGER"]["field"] == "limit_price" and body["details"]["FAT_FINGER"]["observed"] > 90
    assert cli_passes == (0, passes.json())
    assert cli_refused == (2, body)


def test_a_check_before_the_clock_reads_prices_as_of_then_and_never_after_the_clock(client, headers, loaded):
    viewer = headers[Role.VIEWER]
    now = client.get("/api/v1/clock", headers=viewer).json()["now"][:10]

    earlier = client.post(CHECK, json={"symbol": "AAPL", "side": "buy", "qty": "1", "as_of": "2024-01-25"},
                          headers=viewer)
    future = client.post(CHECK, json={"symbol": "AAPL", "side": "buy", "qty": "1", "as_of": "2030-01-01"},
                         headers=viewer)

    assert now > "2024-01-25"
    assert earlier.status_code == 200 and earlier.json() == cli_check("--qty", "1", "--as-of", "2024-01-25")[1]
    assert future.status_code == 400 and future.json()["error"]["details"]["field"] == "as_of"


def test_bad_check_input_is_a_422_naming_the_field(client, headers, loaded):
    viewer = headers[Role.VIEWER]

    negative = client.post(CHECK, json={"symbol": "AAPL", "side": "buy", "qty": "-1"}, headers=viewer)
    no_date = client.post(CHECK, json={"symbol": "AAPL", "side": "buy", "qty": "1", "as_of": "yesterday"},
                          headers=viewer)
    no_limit = client.post(CHECK, json={"symbol": "AAPL", "side": "buy", "qty": "1", "order_type": "limit"},
                           headers=viewer)
    anonymous = client.post(CHECK, json={"symbol": "AAPL", "side": "buy", "qty": "1"})

    assert negative.status_code == 422 and negative.json()["error"]["message"].startswith("body.qty")
    assert no_date.status_code == 422 and no_date.json()["error"]["message"].startswith("body.as_of")
    assert "not a date" in no_date.json()["error"]["message"]
    assert no_limit.status_code == 422, no_limit.text
    assert (no_limit.json()["error"]["code"], no_limit.json()["error"]["details"]["field"]) == ("invalid_order",
                                                                                              "limit_price")
    assert anonymous.status_code == 401


def test_on_real_time_an_old_price_is_stale_with_its_age_on_the_api_as_on_the_cli(client, headers, loaded):
    refused = client.post("/api/v1/clock/real?account=live-1", headers=headers[Role.VIEWER])
    real = client.post("/api/v1/clock/real?account=live-1", headers=headers[Role.TRADER])
    checked = client.post(f"{CHECK}?account=live-1", json={"symbol": "AAPL", "side": "buy", "qty": "1"},
                          headers=headers[Role.VIEWER])
    code, on_cli = cli_check("--qty", "1", "--account", "live-1")

    assert refused.status_code == 403
    assert real.status_code == 200 and (real.json()["mode"], real.json()["description"]) == ("real", "real time")
    assert checked.status_code == 200 and checked.json()["codes"] == ["STALE_PRICE"]
    stale = checked.json()["details"]["STALE_PRICE"]
    assert stale["unit"] == "days_old" and stale["observed"] > stale["threshold"] and stale["symbol"] == "AAPL"
    assert f"{stale['observed']:,.1f}"[:-2] in checked.json()["reason"]  # the age in words, too
    assert code == 2 and on_cli["codes"] == ["STALE_PRICE"]
    assert on_cli["details"]["STALE_PRICE"]["last_bar"] == stale["last_bar"]


def test_a_trader_sets_the_simulated_clock_and_a_viewer_may_not(client, headers, loaded):
    refused = client.post("/api/v1/clock/set", json={"date": "2024-02-01"}, headers=headers[Role.VIEWER])
    moved = client.post("/api/v1/clock/set", json={"date": "2024-02-01"}, headers=headers[Role.TRADER])
    bad = client.post("/api/v1/clock/set", json={"date": "first of feb"}, headers=headers[Role.TRADER])
    shown = client.get("/api/v1/clock", headers=headers[Role.VIEWER]).json()

    assert refused.status_code == 403
    assert moved.status_code == 200, moved.text
    assert moved.json()["mode"] == "simulated" and moved.json()["now"][:10] <= "2024-02-01"
    assert moved.json()["description"] == f"simulated market at {moved.json()['now'][:10]}"
    assert shown["now"] == moved.json()["now"]
    assert bad.status_code == 422 and bad.json()["error"]["message"].startswith("body.date")


def test_the_accounts_overview_is_the_clis_and_a_viewer_reads_it(client, headers, loaded):
    client.post("/api/v1/clock/advance?account=swing", json={"days": 1}, headers=headers[Role.TRADER])

    listed = client.get("/api/v1/paper/accounts", headers=headers[Role.VIEWER])
    anonymous = client.get("/api/v1/paper/accounts")
    on_cli = run_cli("paper", "accounts", "--json")

    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [a["account_id"] for a in body["accounts"]] == ["paper", "swing"] and body["count"] == 2
    assert all(a["trading_state"] == "active" and a["clock"]["mode"] == "simulated" for a in body["accounts"])
    assert on_cli.exit_code == 0 and json.loads(on_cli.stdout) == body["accounts"]
    assert anonymous.status_code == 401


def test_a_kill_switch_halt_names_the_cli_command_and_the_api_calls_that_lift_it(client, headers, loaded):
    halted = client.post("/api/v1/risk/kill-switch", json={"reason": "drill"}, headers=headers[Role.TRADER])
    status = client.get("/api/v1/risk/status", headers=headers[Role.VIEWER]).json()
    on_cli = json.loads(run_cli("risk", "status", "--json").stdout)

    assert halted.status_code == 200 and halted.json()["trading_state"] == "halted"
    assert halted.json()["release"].startswith("quantpilot kill-switch request-off")
    assert halted.json()["release_api"].startswith("POST /api/v1/risk/kill-switch/release-request")
    assert (status["release"], status["release_api"]) == (halted.json()["release"], halted.json()["release_api"])
    assert (on_cli["release"], on_cli["release_api"]) == (status["release"], status["release_api"])
    assert status["halted_by"] == "kill switch" and status["peak_equity_usd"] is not None
    assert {k: v for k, v in on_cli.items() if k != "last_transitions"} == \
        {k: v for k, v in status.items() if k != "last_transitions"}
    assert [(t["to_status"], t["reason"]) for t in on_cli["last_transitions"]] == \
        [(t["to_status"], t["reason"]) for t in status["last_transitions"]] != []
