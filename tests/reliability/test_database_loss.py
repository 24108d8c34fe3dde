"""The database going away: a clear ``DatabaseError``, a bounded retry where repeating is safe, and no
half-written state afterwards (a turn cut off mid-step goes on from its last checkpoint to exactly one order).

Only this test's own connections are terminated (``pg_terminate_backend`` by backend pid, or by the child's
``application_name``); the shared session server keeps running for every other test. "The server is gone"
is a loopback port nothing listens on."""

from __future__ import annotations

import socket
import subprocess
import sys
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from errors import DatabaseError
from memory.db import CONNECTION_LOST, UNREACHABLE, Database, make_engine
from tests.reliability.child_process import REPO, child_env, pause_child_at, run_child
from tests.reliability.paper_turn import count_rows, one_order_and_the_thread_finished


def _terminate(database: Database, pid: int) -> None:
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()


def _terminate_app(database: Database, app_name: str) -> int:
    with database.engine.connect() as conn:
        return len(conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE application_name = :a"), {"a": app_name}).all())


def _add_instrument(session, symbol: str) -> None:
    session.execute(text("INSERT INTO instruments (symbol, source, asset_class, closes_only) "
                         "VALUES (:s, 'test', 'equity', false)"), {"s": symbol})


def _dead_url() -> str:
    with socket.socket() as s:  # a loopback port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"postgresql+psycopg://quantpilot:secret@127.0.0.1:{port}/quantpilot"


def test_a_connection_lost_inside_a_transaction_is_a_database_error_naming_the_loss(database):
    with pytest.raises(DatabaseError) as caught, database.session() as session:
        _add_instrument(session, "LOST")
        _terminate(database, session.execute(text("SELECT pg_backend_pid()")).scalar_one())
        session.execute(text("SELECT 1"))

    assert caught.value.code == CONNECTION_LOST
    assert "lost the connection to the database" in caught.value.message and "57P01" in caught.value.message
    assert "secret" not in caught.value.message
    assert count_rows(database, "instruments") == 0, "the cut transaction left nothing behind"
    with database.session() as session:  # the pool replaced the dead connection
        assert session.execute(text("SELECT 1")).scalar_one() == 1


def test_a_transaction_cut_before_commit_is_run_again_whole_and_stored_once(database):
    attempts: list[int] = []

    def work(session) -> str:
        attempts.append(1)
        _add_instrument(session, "ONCE")
        if len(attempts) == 1:
            _terminate(database, session.execute(text("SELECT pg_backend_pid()")).scalar_one())
        session.execute(text("SELECT 1"))
        return "stored"

    assert database.transaction(work) == "stored"
    assert len(attempts) == 2
    assert count_rows(database, "instruments", "symbol = 'ONCE'") == 1


def test_retries_stop_after_three_attempts_with_the_loss_as_the_error(database):
    attempts: list[int] = []

    def work(session) -> None:
        attempts.append(1)
        _add_instrument(session, "NEVER")
        _terminate(database, session.execute(text("SELECT pg_backend_pid()")).scalar_one())
        session.execute(text("SELECT 1"))

    with pytest.raises(DatabaseError) as caught:
        database.transaction(work)

    assert caught.value.code == CONNECTION_LOST and len(attempts) == 3
    assert count_rows(database, "instruments") == 0


def test_an_error_that_is_not_a_lost_connection_is_not_retried(database):
    attempts: list[int] = []

    def work(session) -> None:
        attempts.append(1)
        _add_instrument(session, "DUP")
        _add_instrument(session, "DUP")  # primary key violation: repeating cannot help

    with pytest.raises(Exception) as caught:
        database.transaction(work)

    assert not isinstance(caught.value, DatabaseError) and len(attempts) == 1
    assert count_rows(database, "instruments") == 0


def test_a_read_is_retried_on_a_lost_connection(database):
    attempts: list[int] = []

    def read(session) -> int:
        attempts.append(1)
        if len(attempts) == 1:
            _terminate(database, session.execute(text("SELECT pg_backend_pid()")).scalar_one())
        return session.execute(text("SELECT count(*) FROM instruments")).scalar_one()

    assert database.read(read) == 0 and len(attempts) == 2


def test_an_idle_pooled_connection_killed_by_the_server_is_replaced_before_use(database):
    with database.engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    _terminate(database, pid)  # it sits dead in the pool now

    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_a_server_that_is_gone_is_a_clear_database_error_not_a_driver_error():
    engine = make_engine(_dead_url(), pool_size=1, max_overflow=0)
    try:
        with pytest.raises(DatabaseError) as caught, engine.connect():
            pass
    finally:
        engine.dispose()

    assert caught.value.code == UNREACHABLE
    assert caught.value.message.startswith("cannot reach the database at "
                                          "postgresql+psycopg://quantpilot:[REDACTED:password]@")


def test_cli_with_the_database_gone_prints_one_line_and_exits_non_zero():
    env = {**child_env(), "QUANTPILOT_DATABASE_URL": _dead_url()}

    proc = subprocess.run([sys.executable, "-m", "api.cli", "threads", "list", "--json"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)

    assert proc.returncode == 2
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot reach the database" in lines[0], lines
    assert "Traceback" not in proc.stderr and "secret" not in proc.stderr


def test_api_with_the_database_gone_answers_503_json():
    from api.app import create_app
    from tests.integration.api.conftest import auth, make_settings

    engine = make_engine(_dead_url(), pool_size=1, max_overflow=0)
    gone = Database(engine, sessionmaker(engine, expire_on_commit=False), "external")
    try:
        with TestClient(create_app(make_settings(), database=gone), raise_server_exceptions=False) as client:
            answer = client.get("/api/v1/strategies", headers=auth("qp_000000000000_forged"))
            ready = client.get("/ready")
    finally:
        engine.dispose()

    assert answer.status_code == 503 and ready.status_code == 503
    assert answer.json()["error"]["code"] == UNREACHABLE
    assert "cannot reach the database" in answer.json()["error"]["message"]
    assert "Traceback" not in answer.text and "secret" not in answer.text


@pytest.mark.slow
@pytest.mark.parametrize("point", ["before_submit", "after_submit"])
def test_connections_dropped_mid_turn_are_replaced_and_the_turn_ends_in_exactly_one_order(database, world, point):
    """Every connection of the turn's process is cut while the turn pauses; the pools check a connection before
    handing it out (pre-ping, ``check_connection``), so the turn carries on on fresh ones."""
    thread_id = f"thr_{uuid.uuid4().hex[:12]}"
    app_name = f"qp-dbloss-{uuid.uuid4().hex[:8]}"
    terminated: list[int] = []

    code, outcome, _ = pause_child_at("turn", thread_id, point=point, env={**world, "PGAPPNAME": app_name},
                                      during=lambda: terminated.append(_terminate_app(database, app_name)))
    recovered = run_child("recover", thread_id, env=world)

    assert terminated[0] > 0, "the turn's connections were cut"
    assert code == 0, outcome
    assert recovered["rounds"] == [[]], "nothing was left for recovery"
    assert count_rows(database, "orders") == count_rows(database, "paper_orders") == 1
    one_order_and_the_thread_finished(database, thread_id)


def test_a_checkpointer_connection_lost_mid_call_is_a_database_error_naming_the_checkpoint(database):
    import psycopg
    from psycopg.rows import dict_row

    from memory.checkpoint import IndexedPostgresSaver
    from memory.server import libpq_url

    with psycopg.connect(libpq_url(database.url), autocommit=True, prepare_threshold=0,
                         row_factory=dict_row) as conn:
        saver = IndexedPostgresSaver(conn)
        pid = conn.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]
        with database.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})

        with pytest.raises(DatabaseError) as raised:
            saver.get_tuple({"configurable": {"thread_id": "thr_lost", "checkpoint_ns": ""}})

    assert raised.value.code == CONNECTION_LOST
    assert "checkpoint" in str(raised.value) and "resumes from its last saved step" in str(raised.value)


def test_a_checkpointer_whose_every_pooled_connection_was_cut_saves_and_loads_on_fresh_ones(database):
    """No ping before each use: a dead connection is found by using it, and the saver call (a read or an upsert)
    is repeated on the next one; with every pooled connection cut, a whole interrupt/resume pair still runs."""
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool

    from benchmarks.agent_graphs import ASK_APPROVAL, InMemoryApprovals, quantpilot_graph
    from graph.context import GraphContext
    from graph.runner import resume_turn, run_turn
    from memory.checkpoint import IndexedPostgresSaver
    from memory.server import libpq_url

    app_name = f"qp-saver-{uuid.uuid4().hex[:8]}"
    size = 3
    with ConnectionPool(libpq_url(database.url), min_size=size, max_size=size, open=True,
                        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row,
                                "application_name": app_name}) as pool:
        pool.wait()
        saver = IndexedPostgresSaver(pool, attempts=size + 1)
        saver.setup()
        graph, context = quantpilot_graph(saver, ASK_APPROVAL), GraphContext(approvals=InMemoryApprovals())
        thread_id = f"thr_{uuid.uuid4().hex[:12]}"

        cut_before_turn = _terminate_app(database, app_name)
        stopped = run_turn(graph, thread_id, {"id": "alice", "role": "trader"}, "raise it", context=context)
        cut_before_resume = _terminate_app(database, app_name)
        decision = {"approval_id": stopped.pending_approval["id"], "verdict": "approved", "approver": "bob",
                    "channel": "cli", "decided_at": "2026-01-01T00:00:00+00:00"}
        resumed = resume_turn(graph, thread_id, decision, context=context)
        saved = saver.get_tuple({"configurable": {"thread_id": thread_id}})

    assert cut_before_turn == size and cut_before_resume >= 1
    assert stopped.pending_approval is not None and resumed.pending_approval is None
    assert resumed.route[:2] == ["approval", "apply_approval"] and resumed.answer.startswith("answer:")
    assert context.approvals.requests[stopped.pending_approval["id"]]["status"] == "applied"
    messages = saved.checkpoint["channel_values"]["messages"]
    assert [type(m).__name__ for m in messages] == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"]
