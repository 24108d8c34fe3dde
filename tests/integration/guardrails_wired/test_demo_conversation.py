"""The demo conversation through the real graph, the offline planner and the real database (bundled prices).

Each step asserts the tool calls the planner made and what changed in storage: bars stored, runs
recorded, a paper approval requested, the kill switch engaged.
"""

from __future__ import annotations

import pytest

from graph.approval_resume import approval_service
from graph.runner import ChatSession
from guardrails.ladder import LadderCriteria
from memory.approvals import ApprovalStore
from memory.audit import AuditLog
from memory.bars import BarStore
from memory.embeddings import Embedder
from memory.long_term import LongTermMemory
from memory.runs import RunStore
from memory.strategies import StrategyRegistry
from tests.support.people import BOB, via

APPROVER = {"id": "alice", "role": "approver"}
# The paper bar is configuration; the demo checks the flow, so any walk-forward result may pass it.
OPEN_BAR = LadderCriteria(min_oos_sharpe=-100.0, min_trades=0, max_drawdown_pct=100.0)


def _names(turn) -> list[str]:
    return [c["name"] for c in turn.tool_calls]


@pytest.mark.slow
def test_the_demo_conversation_makes_the_expected_calls_and_changes_the_stored_state(product, database, thread_id,
                                                                                     broker):
    graph, context = product(criteria=OPEN_BAR)
    session = ChatSession(graph, APPROVER, thread_id=thread_id, context=context)
    runs, registry, approvals = RunStore(database), StrategyRegistry(database), ApprovalStore(database)

    load = session.send("load data for AAPL and MSFT")
    assert load.tool_calls == [{"name": "fetch_historical_data", "args": {"symbol": "AAPL"}},
                               {"name": "fetch_historical_data", "args": {"symbol": "MSFT"}}]
    assert {"AAPL", "MSFT"} <= BarStore(database).known_symbols()
    assert load.ungrounded_numbers == [] and load.refusal is None

    backtest = session.send("backtest an SMA crossover on AAPL and MSFT since 2015")
    assert backtest.tool_calls == [{"name": "backtest_strategy", "args": {
        "strategy_config": {"strategy": "sma_crossover", "symbols": ["AAPL", "MSFT"], "params": {}},
        "date_range": {"start": "2015-01-01"}}}]
    (first,) = runs.list()
    assert (first.kind, first.status, first.strategy, first.symbols) == ("backtest", "done", "sma_crossover",
                                                                          ["AAPL", "MSFT"])
    assert backtest.ungrounded_numbers == []

    walk = session.send("run a walk-forward of it")
    assert walk.tool_calls == [{"name": "run_walk_forward", "args": {
        "strategy_config": {"strategy": "sma_crossover", "symbols": ["AAPL", "MSFT"], "params": {}},
        "date_range": {"start": "2015-01-01"}}}]
    wf = runs.list(kind="walkforward")[0]
    assert wf.status == "done" and wf.strategy == "sma_crossover"

    # the strategy review (draft -> backtested) comes first on the ladder
    review = session.send("promote it to backtested")
    assert review.tool_calls == [{"name": "request_promotion", "args": {"run_id": wf.id, "to_stage": "backtested"}}]
    assert review.pending_approval["kind"] == "strategy"
    assert registry.get("sma_crossover_aapl_msft").stage == "draft"
    approval_service(context, graph).approve(BOB, review.pending_approval["id"], "reviewed")
    assert registry.get("sma_crossover_aapl_msft").stage == "backtested"

    paper = session.send("promote it to paper")
    assert paper.tool_calls == [{"name": "request_promotion", "args": {"run_id": wf.id, "to_stage": "paper"}}]
    assert paper.pending_approval["kind"] == "paper"
    stored = approvals.get(paper.pending_approval["id"])
    assert stored.status == "pending" and stored.subject["strategy_id"] == "sma_crossover_aapl_msft"
    assert stored.evidence["oos_sharpe"] == wf.metrics["sharpe"]  # out-of-sample: from the walk-forward run
    approval_service(context, graph).reject(via(BOB, "slack"), stored.id, "not yet")
    assert registry.get("sma_crossover_aapl_msft").stage == "backtested"

    audit = AuditLog(database)
    decided = [(e.actor, e.channel, e.payload["kind"], e.payload["verdict"])
               for e in reversed(audit.recent(action="approval_decided"))]
    assert decided == [("bob", "cli", "strategy", "approved"), ("bob", "slack", "paper", "rejected")]
    closed = [(e.actor, e.payload["kind"], e.payload["status"])
              for e in reversed(audit.recent(action="approval_closed"))]
    assert closed == [("bob", "strategy", "applied"), ("bob", "paper", "rejected")]
    (moved,) = audit.recent(action="stage_transition")
    assert (moved.actor, moved.subject, moved.payload["to_stage"]) == ("bob", "strategy:sma_crossover_aapl_msft",
                                                                       "backtested")
    assert len(audit.recent(action="approval_requested")) == 2
    kinds = {r.kind.value for r in LongTermMemory(database, Embedder()).recall("alice", "sma crossover", k=10)}
    assert kinds == {"backtest_conclusion", "approval", "rejection"}  # runs and decisions are remembered

    exposure = session.send("what's my exposure?")
    assert _names(exposure) == ["compute_portfolio_exposure"]
    assert exposure.ungrounded_numbers == []

    assert _names(session.send("risk report")) == ["generate_risk_report"]
    assert _names(session.send("daily summary")) == ["generate_daily_summary"]

    kill = session.send("kill switch on")
    assert kill.tool_calls == [{"name": "set_kill_switch", "args": {"engaged": True, "reason": "kill switch on"}}]
    assert "halted" in kill.answer
    assert product.tool_context.trading_state.current().status.value == "halted"
