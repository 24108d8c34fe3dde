"""One set of defaults per operation: the same optimisation asked through the command line, the terminal chat,
the API and the web page's chat looks back over the same sessions and answers with the same weights; the health
verdict reads the same on the web page and in the chat (``tests/integration/tools/test_data_tools.py``)."""

from __future__ import annotations

import pytest

from memory.runs import RunStore
from services.market_data import MarketDataService
from services.research.defaults import OPTIMIZE_LOOKBACK_DAYS
from tests.integration.cli_runner import run_cli, run_cli_json
from tests.support.people import SYSTEM

SYMBOLS = ["AAPL", "MSFT", "JPM", "XOM"]
ASKED = "optimize a max sharpe portfolio of AAPL, MSFT, JPM and XOM"


@pytest.mark.slow
def test_an_optimisation_gets_the_same_lookback_and_weights_from_cli_chat_api_and_web(database, act_as):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.integration.api.conftest import make_settings
    from tests.integration.web.conftest import log_in
    from tests.integration.web.wiring import offline_web_chat

    MarketDataService(database, actor=SYSTEM).load("bundled", SYMBOLS)
    trader = act_as("trader")
    runs = RunStore(database)

    cli = run_cli_json("optimize", "--method", "max_sharpe", "--symbols", ",".join(SYMBOLS))["run_id"]
    chat = run_cli("chat", "--once", ASKED)
    assert chat.exit_code == 0, chat.stderr
    chat_run = runs.list(kind="optimize", limit=1)[0].id
    app = create_app(make_settings(), database=database)
    app.state.web_chat = offline_web_chat(database)  # its clock is after the bundled data's last bar
    with TestClient(app, raise_server_exceptions=False) as client:
        api = client.post("/api/v1/portfolio/optimize", headers={"Authorization": f"Bearer {trader.api_key}"},
                          json={"method": "max_sharpe", "symbols": SYMBOLS})
        assert api.status_code == 200, api.text
        csrf = log_in(client, trader.api_key)
        web = client.post("/web/chat/stream", data={"csrf_token": csrf, "message": ASKED})
        assert web.status_code == 200 and "event: final" in web.text
    web_run = runs.list(kind="optimize", limit=1)[0].id

    stored = [runs.get(run_id) for run_id in (cli, chat_run, api.json()["run_id"], web_run)]
    assert len({r.id for r in stored}) == 4  # four runs, one per interface
    assert {r.params["lookback_days"] for r in stored} == {OPTIMIZE_LOOKBACK_DAYS}
    assert {r.summary["n_observations"] for r in stored} == {OPTIMIZE_LOOKBACK_DAYS}
    first = stored[0].summary["weights"]
    for run in stored[1:]:
        assert run.summary["weights"] == pytest.approx(first, abs=1e-9), f"run {run.id} ({run.created_by})"
    assert stored[0].config_hash and {r.config_hash for r in stored} == {stored[0].config_hash}  # one request
    assert stored[0].data_hash and {r.data_hash for r in stored} == {stored[0].data_hash}  # the same closes


def test_views_dollars_and_targets_asked_in_words_get_the_cli_flags_answer(database, act_as):
    MarketDataService(database, actor=SYSTEM).load("bundled", SYMBOLS)
    act_as("trader")
    runs = RunStore(database)
    cli = run_cli_json("optimize", "--method", "black_litterman", "--symbols", ",".join(SYMBOLS),
                       "--view", "AAPL=0.12@0.7", "--view", "XOM=5%@40%", "--value", "50000")
    chat = run_cli("chat", "--once", "optimize a black litterman portfolio of AAPL, MSFT, JPM and XOM with $50,000, "
                                     "AAPL 12% with 70% confidence and XOM 5% with 40% confidence")
    assert chat.exit_code == 0, chat.stderr
    asked = runs.list(kind="optimize", limit=1)[0]
    assert asked.id != cli["run_id"] and asked.summary["weights"] == pytest.approx(cli["weights"], abs=1e-9)
    assert asked.summary["allocation"]["shares"] == cli["allocation"]["shares"]
    assert asked.config_hash == runs.get(cli["run_id"]).config_hash  # the same request, however it was asked
    shares = cli["allocation"]["shares"]
    assert f"JPM     {cli['weights']['JPM']:.2%}  {shares['JPM']:>6}" in chat.stdout  # the CLI's table, in the chat
    assert "left in cash" in chat.stdout

    shown = run_cli("runs", "show", str(asked.id)).stdout
    assert "view AAPL=12.00%@70%" in shown and "view XOM=5.00%@40%" in shown and "total_value=$50,000.00" in shown

    target = run_cli_json("optimize", "--method", "efficient_risk", "--symbols", ",".join(SYMBOLS),
                          "--target-volatility", "0.3")
    chat = run_cli("chat", "--once", "an efficient risk portfolio of AAPL, MSFT, JPM and XOM targeting 30% volatility")
    assert chat.exit_code == 0, chat.stderr
    asked = runs.list(kind="optimize", limit=1)[0]
    assert asked.params["target_volatility"] == 0.3
    assert asked.summary["weights"] == pytest.approx(target["weights"], abs=1e-9)


def test_a_walk_forward_without_a_grid_is_the_same_run_from_the_cli_and_the_chat(database, act_as):
    MarketDataService(database, actor=SYSTEM).load("bundled", ["AAPL", "MSFT"])
    act_as("trader")
    cli = run_cli_json("walkforward", "--strategy", "sma_crossover", "--symbols", "AAPL,MSFT", "--start", "2016-01-01")
    chat = run_cli("chat", "--once", "walk-forward an SMA crossover on AAPL and MSFT since 2016")
    assert chat.exit_code == 0, chat.stderr
    runs = RunStore(database)
    asked = runs.list(kind="walkforward", limit=1)[0]
    assert asked.id != cli["run_id"] and asked.params == runs.get(cli["run_id"]).params == {"fast": [10], "slow": [50]}
    assert asked.config_hash == runs.get(cli["run_id"]).config_hash
    assert asked.metrics["total_return"] == pytest.approx(cli["metrics"]["total_return"], rel=1e-12)
