"""Start-up guards of a decision (``approvals approve|reject``), each in its own interpreter.

Issue 20 budgets a decision at 1.5 s, measured in ``benchmarks/end_to_end.py``, never here. The guards hold what
the decision loads: resuming a waiting thread needs LangGraph and the agents' tools, but no frame library, no
numba and no scipy (no research tool runs on a resume), no alert ledger (the resumed step sends no alert; the
tools' ledger is made on the first alert), and neither numpy nor the embedding model (the decision is remembered
with its embedding pending; the next recall embeds it); a request asked outside any thread has nothing to resume,
so its decision loads neither LangGraph nor the model stack.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.cli_process import AGENT_AND_MODEL_STACK, run_cli_process

RESEARCH_STACK = ("pandas", "pyarrow", "numba", "llvmlite", "scipy", "xgboost")
ALERT_LEDGER = ("services.alert_ledger", "services.alerts", "memory.events")
EMBEDDING = ("numpy", "memory.minilm", "tokenizers")  # the decision is remembered, embedded by the next recall


def _keys(database) -> dict[str, str]:
    from memory.users import UserStore

    users = UserStore(database)
    return {"dana": users.add("dana", "trader").api_key, "avery": users.add("avery", "approver").api_key}


def test_approving_a_waiting_request_resumes_its_thread_without_the_research_stack_or_the_alert_ledger(
        database, test_home):
    from memory.approvals import ApprovalStore

    keys = _keys(database)
    asked = run_cli_process("chat", "--once", "set max_open_positions to 11 because the desk grew", home=test_home,
                            database_url=database.url, env={"QUANTPILOT_API_KEY": keys["dana"]})
    assert asked.exit_code == 0, asked.stderr
    (pending,) = [r for r in ApprovalStore(database).list("pending") if r.kind == "risk_limit"]
    assert pending.thread_id is not None

    done = run_cli_process("approvals", "approve", pending.id, home=test_home, database_url=database.url,
                           env={"QUANTPILOT_API_KEY": keys["avery"]})

    assert done.exit_code == 0, done.stderr
    record = ApprovalStore(database).get(pending.id)
    assert record.decision is not None and record.decision.approver == "avery"
    assert record.closed_at is not None and record.status == "applied"  # the thread resumed; its apply step ran
    assert {"langgraph", "graph", "tools"} <= set(done.imported(AGENT_AND_MODEL_STACK))
    assert done.imported(RESEARCH_STACK) == []
    assert done.imported(ALERT_LEDGER) == []
    assert done.imported(EMBEDDING) == []
    with database.engine.connect() as conn:  # the decision was remembered, its embedding left to the next recall
        from sqlalchemy import text

        remembered = conn.execute(text("SELECT kind, embedding IS NULL FROM memories")).all()
    assert [tuple(r) for r in remembered] == [("approval", True)]


def test_deciding_a_request_asked_outside_any_thread_loads_neither_langgraph_nor_the_model_stack(
        database, test_home):
    from memory.approvals import ApprovalStore

    keys = _keys(database)
    now = datetime.now(UTC)
    store = ApprovalStore(database)
    store.save_request({"id": "apr_no_thread", "kind": "live", "requester": "dana", "channel": "api",
                        "thread_id": None, "subject": {"strategy_id": "trend", "version": 1, "params_hash": "x",
                                                       "from_stage": "paper", "to_stage": "live"},
                        "evidence": {"sharpe": 1.2}, "summary": "go live", "created_at": now,
                        "expires_at": now + timedelta(days=3)})

    done = run_cli_process("approvals", "reject", "apr_no_thread", "--comment", "not yet", home=test_home,
                           database_url=database.url, env={"QUANTPILOT_API_KEY": keys["avery"]})

    assert done.exit_code == 0, done.stderr
    assert "rejected" in done.stdout
    record = store.get("apr_no_thread")
    assert record.status == "rejected" and record.decision is not None and record.decision.approver == "avery"
    assert done.imported(AGENT_AND_MODEL_STACK + RESEARCH_STACK) == []
