"""Start-up guards: what a read command, an argument error and ``--help`` import, each in its own interpreter.

A person waits for a read command's imports before the first row appears (issue 20: reads <= 1 s, errors
<= 0.5 s, ``--help`` <= 0.3 s, measured in ``benchmarks/end_to_end.py``, never here). The guards keep the slow
parts out by what is imported, not by the clock: a read never loads LangGraph, LangChain, numba or the model
stack, nor pandas where no bar is read; an argument error is refused before any of it is loaded.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.cli_process import AGENT_AND_MODEL_STACK, run_cli_process

FRAMES = ("pandas", "numpy", "pyarrow", "scipy")  # a read that reads no bar needs no frame library
# what a read neither sends nor logs nor migrates: the webhook client, structured logging, vector memory, alembic;
# nor what reading the settings and retrying a lost connection once imported (pydantic-settings, tenacity)
NOT_READ = ("httpx", "structlog", "pgvector", "alembic", "pydantic_settings", "dotenv", "tenacity")
# what a read of the book (its positions, orders, state) does not record nor ask: approvals, the strategy ladder,
# events, the Slack links
NOT_RECORDED = ("memory.approvals", "memory.strategies", "memory.models.ladder", "memory.events",
                "quant.monitoring.events", "memory.slack_users")


@pytest.fixture()
def seeded(database, test_home):
    """A home with bars, a strategy at paper, a paper run's orders and positions, a decided approval (with its
    outcome) and a pending one: every read command has rows to show."""
    from memory.approvals import ApprovalStore
    from memory.bars import BarStore
    from memory.strategies import StrategyRegistry
    from services.paper_loop import run_paper
    from tests.integration.execution.conftest import approve_stage, synthetic_bars
    from tests.support.people import DANA

    bars = synthetic_bars()
    BarStore(database).upsert(bars, source="test")
    StrategyRegistry(database).register("trend", "trend", "sma_crossover", {"fast": 5, "slow": 20})
    decided = approve_stage(database, "trend", "paper")
    store = ApprovalStore(database)
    store.close(decided, "applied", {"status": "approved", "approval_id": decided, "approver": "alice",
                                     "effect": "stage_transition", "strategy_id": "trend", "stage": "paper",
                                     "version": 1}, datetime.now(UTC))
    days = sorted(bars["ts"].unique())
    report = run_paper(database, DANA, strategy="trend", symbols=["AAA", "BBB"], start=str(days[25].date()),
                       end=str(days[-1].date()))
    assert sum(report.orders.values()) > 0
    now = datetime.now(UTC)
    store.save_request({"id": "apr_pending_limit", "kind": "live", "requester": "dana", "channel": "cli",
                        "thread_id": None, "subject": {"strategy_id": "trend", "version": 1, "params_hash": "x",
                                                       "from_stage": "paper", "to_stage": "live"},
                        "evidence": {"sharpe": 1.2}, "summary": "go live", "created_at": now,
                        "expires_at": now + timedelta(days=3)})
    return {"home": test_home, "database_url": database.url, "decided": decided, "pending": "apr_pending_limit"}


def _read_commands(seeded) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(argv, packages it must not import) for every read command of the issue's budget."""
    from api.cli import app

    no_stack, no_frames = AGENT_AND_MODEL_STACK + NOT_READ, AGENT_AND_MODEL_STACK + NOT_READ + FRAMES
    commands = [
        (("approvals", "list"), no_frames),
        (("approvals", "show", seeded["pending"]), no_frames),
        (("approvals", "show", seeded["decided"]), no_frames),
        (("orders", "list"), no_frames + NOT_RECORDED),
        (("positions",), no_frames + NOT_RECORDED),
        (("risk", "status"), no_frames + NOT_RECORDED),
        (("data", "list"), no_frames + NOT_RECORDED),
    ]
    if any(group.name == "runs" for group in app.registered_groups):  # the research runs (issue 19)
        commands.append((("runs", "list"), no_stack))
    return commands


def test_read_commands_import_neither_the_agent_stack_nor_frames_they_do_not_need(seeded):
    imported = {}
    for argv, forbidden in _read_commands(seeded):
        done = run_cli_process(*argv, home=seeded["home"], database_url=seeded["database_url"])
        assert done.exit_code == 0, f"quantpilot {' '.join(argv)}: {done.stderr}"
        assert done.stdout.strip(), f"quantpilot {' '.join(argv)} printed nothing"
        if found := done.imported(forbidden):
            imported[" ".join(argv)] = found

    assert imported == {}


def test_the_guard_sees_the_agent_stack_when_a_command_loads_it(database, test_home):
    """The probe is not blind: a command that runs the agents does load LangGraph and the tools."""
    done = run_cli_process("chat", "--once", "what are my risk limits?", home=test_home,
                           database_url=database.url)

    assert done.exit_code == 0, done.stderr
    assert {"langgraph", "langchain_core", "graph", "tools"} <= set(done.imported(AGENT_AND_MODEL_STACK))


@pytest.mark.parametrize("argv", [
    ("optimize", "--method", "no_such_method", "--symbols", "AAPL"),
    ("approvals", "approve"),
    ("data", "list", "--no-such-option"),
    ("orders", "list", "--limit", "many"),
], ids=lambda argv: " ".join(argv))
def test_an_argument_error_is_refused_before_the_heavy_imports(argv, test_home):
    done = run_cli_process(*argv, home=test_home)

    assert done.exit_code == 2, done.stderr
    assert done.stderr.strip() and "Traceback" not in done.stderr
    assert done.imported(AGENT_AND_MODEL_STACK + FRAMES + ("sqlalchemy", "psycopg")) == []


def test_help_imports_no_library_of_any_command(test_home):
    done = run_cli_process("--help", home=test_home)

    assert done.exit_code == 0 and "approvals" in done.stdout
    assert done.imported(AGENT_AND_MODEL_STACK + FRAMES + ("sqlalchemy", "psycopg", "pydantic_settings", "pydantic",
                                                           "rich")) == []
