"""Research asked in a chat runs like every research job: in a worker process of its own (never the API's),
under the job quota, and a job that runs out of its memory comes back to the chat as a plain refusal while the
API keeps answering. The CLI's chat turns count in the per-user turn quota like every other interface's."""

from __future__ import annotations

import os
import sys
import threading
import time
from datetime import date

import httpx
import psutil
import pytest
from sqlalchemy import text

from guardrails.policy import Channel, Role
from memory.runs import RunStore
from tests.integration.abuse.conftest import auth, make_settings
from tests.support.asgi_server import serving_app
from tests.support.people import SYSTEM

BACKTEST = "backtest an SMA crossover on AAPL since 2024"


def _turn(client, thread: str, key: str, message: str) -> dict:
    answer = client.post(f"/api/v1/threads/{thread}/runs", json={"message": message}, headers=auth(key))
    assert answer.status_code == 200, answer.text
    return answer.json()


def _tool(turn: dict, name: str) -> dict:
    calls = [c for c in turn["tool_calls"] if c["name"] == name]
    assert calls, turn["tool_calls"]
    return calls[-1]


def test_a_backtest_asked_in_a_chat_runs_as_a_job_in_a_worker_process_not_the_api_process(loaded, keys):
    from api.app import create_app

    app = create_app(make_settings(), database=loaded)
    with serving_app(app) as base, httpx.Client(base_url=base, timeout=120) as client:
        turn = _turn(client, "thr_chatjob000001", keys[Role.TRADER], BACKTEST)
        jobs = app.state.research_jobs

    runs = RunStore(loaded).list()
    assert [r.kind for r in runs] == ["backtest"], [(r.kind, r.status, r.error) for r in runs]
    run = runs[0]
    assert run.status == "done" and run.created_by == "trader-user"
    assert jobs.claimed == [run.id]  # the API's job runner took it from the queue, as any other job
    assert jobs.worker_pids[run.id] != os.getpid()  # and ran it in a worker process
    assert not psutil.pid_exists(jobs.worker_pids[run.id]) or psutil.Process(jobs.worker_pids[run.id]).status() \
        == psutil.STATUS_ZOMBIE  # which ended with the job
    assert str(run.id) in turn["answer"] or "sharpe" in turn["answer"].lower(), turn["answer"]
    with loaded.engine.connect() as conn:  # the job row was admitted under its asker's user id (the quota's key)
        owner = conn.execute(text("SELECT user_id FROM research_runs WHERE id = :id"), {"id": run.id}).scalar()
    assert owner is not None


@pytest.fixture()
def long_history(database):
    """AAPL: 33 years of synthetic daily bars (~8,600 sessions)."""
    from services.market_data import MarketDataService

    MarketDataService(database, actor=SYSTEM).load("synthetic", ["AAPL"], date(1990, 1, 1), date(2022, 12, 31))
    return database


def test_a_chat_research_call_over_its_memory_limit_is_refused_in_the_answer_while_the_api_answers(
        long_history, keys, configure):
    configure(QUANTPILOT_RESEARCH_JOB_MEMORY_MB=8)  # far less than a backtest of 33 years needs
    from api.app import create_app

    app = create_app(make_settings(), database=long_history)
    api_process = psutil.Process()
    with serving_app(app) as base, httpx.Client(base_url=base, timeout=120) as client:
        answers: list[httpx.Response] = []
        asking = threading.Thread(target=lambda: answers.append(client.post(
            "/api/v1/threads/thr_chatjob000002/runs", json={"message": "backtest an SMA crossover on AAPL since 1990"},
            headers=auth(keys[Role.TRADER]))))
        asking.start()
        health = []
        while asking.is_alive():
            health.append(client.get("/health").status_code)
            time.sleep(0.05)
        asking.join()
        health.append(client.get("/health").status_code)
        still_pid = api_process.pid

    assert answers and answers[0].status_code == 200, answers[0].text if answers else None
    turn = answers[0].json()
    call = _tool(turn, "backtest_strategy")
    assert call["name"] == "backtest_strategy"
    assert "memory" in turn["answer"].lower() and "QUANTPILOT_RESEARCH_JOB_MEMORY_MB" in turn["answer"], turn["answer"]
    assert "Traceback" not in turn["answer"]
    (run,) = RunStore(long_history).list()
    assert run.status == "failed" and "memory" in run.error
    assert set(health) == {200}  # /health answered throughout, and after
    assert still_pid == os.getpid()


def test_a_cli_chat_turn_counts_in_the_users_turn_quota(database, loaded, keys, configure, monkeypatch, capsys):
    configure(QUANTPILOT_CHAT_TURNS_PER_USER=1, QUANTPILOT_QUOTA_RETRY_AFTER_S=9)
    from api.cli import main
    from config import get_settings
    from memory.users import UserStore
    from memory.work_leases import WorkLeases
    from services.quotas import TURN, UsageQuotas
    from services.users import actor_of

    trader = actor_of(UserStore(database).authenticate(keys[Role.TRADER]), Channel.WEB)
    monkeypatch.setenv("QUANTPILOT_API_KEY", keys[Role.TRADER])
    monkeypatch.setenv("QUANTPILOT_DB_KEEP_RUNNING", os.environ.get("QUANTPILOT_DB_KEEP_RUNNING", "true"))
    monkeypatch.setenv("NUMBA_CACHE_DIR", os.environ.get("NUMBA_CACHE_DIR", str(get_settings().numba_cache_dir)))

    def cli_chat() -> int:
        monkeypatch.setattr(sys, "argv", ["quantpilot", "chat", "--once", "help"])
        try:
            main()
        except SystemExit as ended:
            return int(ended.code or 0)
        return 0

    with UsageQuotas(database).start_turn(trader):  # the trader's turn running on the web page
        refused = cli_chat()
        refused_err = capsys.readouterr().err
    answered = cli_chat()
    answered_out = capsys.readouterr().out

    assert refused == 2
    assert "QUANTPILOT_CHAT_TURNS_PER_USER=1" in refused_err and "retry in about 9 s" in refused_err, refused_err
    assert answered == 0 and answered_out.strip()  # the place was free again: the CLI turn ran
    assert WorkLeases(database).active(trader.user_id, TURN) == 0  # and gave its place back when it ended
