"""Research through the API: background jobs (202 + run id), their status, results and HTML report."""

from __future__ import annotations

import hashlib
from html.parser import HTMLParser

from api.jobs import ResearchJobs
from guardrails.policy import Role
from memory.runs import RunStore
from tests.integration.api_agent.conftest import wait_for_run
from tests.support.people import SYSTEM, person

BACKTEST = {"strategy": "sma_crossover", "symbols": ["AAPL", "MSFT"], "params": {"fast": 5, "slow": 20}}


class _Resources(HTMLParser):
    """Every script and every element that could load something from elsewhere."""

    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self.external: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script":
            self.scripts.append(values)
        for name in ("src", "href"):
            link = values.get(name) or ""
            if link.startswith(("http:", "https:", "//")) and tag != "a":  # links to click are not loads
                self.external.append((tag, link))


def test_a_backtest_job_is_accepted_at_once_then_finishes_and_its_report_downloads(client, headers, loaded):
    accepted = client.post("/api/v1/backtests", json=BACKTEST, headers=headers[Role.TRADER])

    assert accepted.status_code == 202, accepted.text
    job = accepted.json()
    assert job["kind"] == "backtest" and job["status"] in ("queued", "running", "done")
    assert accepted.headers["location"] == f"/api/v1/backtests/{job['run_id']}" == job["links"]["status"]
    run = wait_for_run(client, job["run_id"], headers[Role.VIEWER])
    assert run["status"] == "done", run.get("error")
    assert (run["strategy"], run["symbols"], run["created_by"]) == ("sma_crossover", ["AAPL", "MSFT"], "trader-user")
    assert {k: run["params"][k] for k in ("fast", "slow")} == {"fast": 5, "slow": 20}
    assert "sharpe" in run["metrics"]
    assert len(RunStore(loaded).list()) == 1  # the job row is the run: no second row

    report = client.get(job["links"]["report"], headers=headers[Role.VIEWER])

    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/html")
    assert report.headers["content-disposition"].startswith("attachment")
    assert f"run {job['run_id']}" in report.text
    page = _Resources()
    page.feed(report.text)
    assert page.scripts and all("src" not in s for s in page.scripts)  # plotly is inlined
    assert page.external == []
    csp = report.headers["content-security-policy"]
    assert "script-src 'unsafe-inline'" in csp and "http" not in csp
    described = client.get(job["links"]["report"], headers={**headers[Role.VIEWER], "Accept": "application/json"})
    assert described.json()["sha256"] == hashlib.sha256(report.content).hexdigest()


def test_a_job_that_fails_is_stored_as_failed_with_its_reason(client, headers, loaded):
    body = {"strategy": "sma_crossover", "symbols": ["AAPL"], "grid": {"fast": [5], "slow": [20]},
            "in_sample_days": 252, "out_of_sample_days": 63}  # ~60 sessions stored: no fold fits

    job = client.post("/api/v1/research/walk-forward", json=body, headers=headers[Role.TRADER]).json()
    run = wait_for_run(client, job["run_id"], headers[Role.VIEWER])

    assert run["status"] == "failed"
    assert run["error"] and run["finished_at"] is not None


def test_walk_forward_and_monte_carlo_jobs_finish_and_compare_ranks_the_runs(client, headers, loaded):
    wf = client.post("/api/v1/research/walk-forward", headers=headers[Role.TRADER], json={
        "strategy": "sma_crossover", "symbols": ["AAPL"], "grid": {"fast": [3, 5], "slow": [10, 15]},
        "in_sample_days": 30, "out_of_sample_days": 10})
    bt = client.post("/api/v1/backtest/run", json=BACKTEST, headers=headers[Role.TRADER])
    wf_run = wait_for_run(client, wf.json()["run_id"], headers[Role.VIEWER])
    bt_run = wait_for_run(client, bt.json()["run_id"], headers[Role.VIEWER])
    assert (wf_run["kind"], wf_run["status"]) == ("walkforward", "done"), wf_run.get("error")
    assert bt_run["status"] == "done"

    mc = client.post("/api/v1/research/monte-carlo", json={"source_run_id": bt_run["id"], "n_paths": 500, "seed": 3},
                     headers=headers[Role.TRADER])
    mc_run = wait_for_run(client, mc.json()["run_id"], headers[Role.VIEWER])
    compared = client.post(f"/api/v1/backtest/{bt_run['id']}/compare", json={"run_ids": [wf_run["id"]]},
                           headers=headers[Role.VIEWER]).json()

    assert (mc_run["kind"], mc_run["status"], mc_run["parent_id"]) == ("montecarlo", "done", bt_run["id"])
    assert 0 <= mc_run["metrics"]["probability_of_loss"] <= 1
    assert [r["run_id"] for r in compared["runs"]] == [bt_run["id"], wf_run["id"]]
    sharpes = {r["run_id"]: r["sharpe"] for r in compared["runs"] if r["sharpe"] is not None}
    if sharpes:
        assert compared["best"]["sharpe"] == max(sharpes, key=sharpes.get)


def test_portfolio_optimisation_answers_weights_that_sum_to_one_and_is_recorded(client, headers, loaded):
    response = client.post("/api/v1/portfolio/optimize", headers=headers[Role.TRADER], json={
        "method": "min_volatility", "symbols": ["AAPL", "MSFT"], "lookback_days": 40})

    assert response.status_code == 200, response.text
    result = response.json()
    assert abs(sum(result["weights"].values()) - 1.0) < 1e-6
    assert all(w >= -1e-9 for w in result["weights"].values())
    assert RunStore(loaded).get(result["run_id"]).kind == "optimize"


def test_bad_research_requests_are_refused_before_anything_is_queued(client, headers, loaded):
    trader = headers[Role.TRADER]
    unknown_strategy = client.post("/api/v1/backtests", json={**BACKTEST, "strategy": "nope"}, headers=trader)
    bad_params = client.post("/api/v1/backtests", json={**BACKTEST, "params": {"fast": 50, "slow": 10}},
                             headers=trader)
    unknown_symbol = client.post("/api/v1/backtests", json={**BACKTEST, "symbols": ["ZZZZ"]}, headers=trader)
    missing_source = client.post("/api/v1/research/monte-carlo", json={"source_run_id": 999}, headers=trader)
    no_report = client.get("/api/v1/backtests/999/report", headers=trader)
    unknown_cost = client.post("/api/v1/backtests", json={**BACKTEST, "config": {"slippage": 5}}, headers=trader)
    negative_capital = client.post("/api/v1/research/grid", headers=trader, json={
        **{k: BACKTEST[k] for k in ("strategy", "symbols")}, "grid": {"fast": [5]}, "config": {"initial_capital": -1}})
    inverted = {**{k: BACKTEST[k] for k in ("strategy", "symbols")}, "grid": {"fast": [50, 60], "slow": [20, 30]}}
    no_valid_grid = client.post("/api/v1/research/grid", json=inverted, headers=trader)
    no_valid_walk = client.post("/api/v1/research/walk-forward", json=inverted, headers=trader)

    assert unknown_strategy.status_code == 400 and "nope" in unknown_strategy.json()["error"]["message"]
    assert bad_params.status_code == 400
    assert unknown_symbol.status_code == 422 and unknown_symbol.json()["error"]["details"]["symbols"] == ["ZZZZ"]
    assert missing_source.status_code == 404
    assert no_report.status_code == 404
    assert unknown_cost.status_code == 400 and "slippage" in unknown_cost.json()["error"]["message"]
    assert negative_capital.status_code == 400 and "initial_capital" in negative_capital.json()["error"]["message"]
    for refused in (no_valid_grid, no_valid_walk):  # as the CLI refuses it: not a job that fails a moment later
        assert refused.status_code == 400
        assert "no valid parameter combination in the grid (4 invalid" in refused.json()["error"]["message"]
        assert "fast (50) must be < slow (20)" in refused.json()["error"]["message"]
    assert RunStore(loaded).list() == []


def test_a_queued_job_is_run_exactly_once_when_two_runners_recover_it(loaded):
    accepting = ResearchJobs(loaded, workers=1)
    record = accepting.submit(person("alice"), "backtest", BACKTEST, run_now=False)
    assert record.status == "queued"
    first, second = ResearchJobs(loaded, workers=2), ResearchJobs(loaded, workers=2)

    recovered = (first.recover(), second.recover())
    first.shutdown(wait=True)
    second.shutdown(wait=True)
    accepting.shutdown(wait=True)

    assert record.id in recovered[0] + recovered[1]  # the second may already see it running under a lease
    assert sorted(first.claimed + second.claimed) == [record.id]
    (run,) = RunStore(loaded).list()
    assert (run.id, run.status, run.created_by) == (record.id, "done", "alice")


def test_a_run_the_agents_made_without_a_report_gets_one_rendered_on_download(client, headers, loaded):
    from services.research import ResearchService

    run = ResearchService(loaded, actor=SYSTEM).backtest("sma_crossover", BACKTEST["symbols"], {"fast": 10, "slow": 50},
                                           report=False)
    assert "report" not in run["artifacts"]

    report = client.get(f"/api/v1/backtests/{run['run_id']}/report", headers=headers[Role.VIEWER])

    assert report.status_code == 200 and f"run {run['run_id']}" in report.text
    assert "report" in RunStore(loaded).get(run["run_id"]).artifacts


def test_a_walk_forward_job_without_a_grid_trades_the_strategys_defaults_like_the_cli_and_the_chat(
        client, headers, loaded):
    from services.research import ResearchService

    request = {"strategy": "sma_crossover", "symbols": ["AAPL", "MSFT"], "in_sample_days": 20,
               "out_of_sample_days": 10}
    accepted = client.post("/api/v1/research/walk-forward", json=request, headers=headers[Role.TRADER])
    assert accepted.status_code == 202, accepted.text
    run = wait_for_run(client, accepted.json()["run_id"], headers[Role.VIEWER])
    assert run["status"] == "done", run.get("error")
    assert run["params"] == {"fast": [10], "slow": [50]}  # sma_crossover's defaults, in every fold
    spelled_out = ResearchService(loaded, actor=person("tina", "trader")).walk_forward(
        "sma_crossover", ["AAPL", "MSFT"], {"fast": [10], "slow": [50]}, in_sample_days=20, out_of_sample_days=10,
        report=False)
    assert RunStore(loaded).get(spelled_out["run_id"]).config_hash == run["config_hash"]
