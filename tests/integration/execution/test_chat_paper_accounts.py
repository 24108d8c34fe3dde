"""The chat on a paper account's execution path: an account its breaker halted asks for the reset of its breaker
baseline (decided by another person, then applied); the kill switch's flatten answer says each close and a refused
one; positions are answered with mark, value and P&L at the account's clock."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from graph.approval_resume import approval_service
from graph.context import GraphContext
from graph.runner import run_turn
from services.approval_effects import execution_effects
from tests.integration.execution.conftest import intent, stranded_position
from tests.support.people import ALICE, BOB
from tests.unit.graph.scripted import agents_with, call, calls_then_answer, scripted_graph

TRADER = {"id": "tina", "role": "trader", "user_id": 41}


@pytest.fixture()
def account(database, settings, bars, paper_strategy):
    """The default paper account as the product builds it: its own market clock (simulated over the bars)."""
    from services.execution_path import execution_service

    return execution_service(database, settings)


@pytest.fixture()
def chat(database, settings, account):
    from memory.approvals import ApprovalStore
    from memory.checkpoint import postgres_checkpointer
    from memory.strategies import StrategyRegistry
    from tools import ToolContext, all_tools

    tools = list(all_tools(ToolContext(settings=settings, database=database, broker=account.broker, user="tina",
                                       role="trader", order_gateway=account, trading_state=account.book_states(),
                                       risk_limits=account.limits.current())).values())

    def run(agent: str, text_: str, *calls, person=TRADER):
        graph = scripted_graph(agents_with({agent: calls_then_answer(list(calls))}, {agent: tools}),
                               checkpointer=postgres_checkpointer(database))
        ctx = GraphContext(approvals=ApprovalStore(database), strategies=StrategyRegistry(database), channel="cli",
                           approval_ttl=timedelta(hours=24), effects=execution_effects(account))
        return graph, ctx, run_turn(graph, f"thr_{uuid.uuid4().hex[:12]}", person, text_, context=ctx)

    return run


def _answer(graph, turn) -> str:
    """What the answer writer (the offline planner's voice) says about the turn's tool results."""
    from agents.answers import turn_outcomes, write_answer

    return write_answer(turn_outcomes(graph.get_state({"configurable": {"thread_id": turn.thread_id}})
                                      .values["messages"]))


def test_asking_the_chat_to_release_a_breaker_halt_asks_for_a_breaker_reset_that_another_person_decides(
        database, account, chat):
    account.book()
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE paper_accounts SET cash_usd = 80000 WHERE account_id = 'paper'"))
    assert account.trading_state(account.book()).status.value == "halted"

    graph, ctx, turn = chat("risk", "release the kill switch",
                            call("set_kill_switch", engaged=False, reason="strategy reviewed"))

    pending = turn.pending_approval
    assert pending is not None and pending["kind"] == "breaker_reset"
    stored = ctx.approvals.get(pending["id"])
    assert stored.subject["account_id"] == "paper" and stored.evidence["drawdown_pct"] > 19
    outcome = approval_service(ctx, graph).approve(BOB, pending["id"], "ok")

    assert outcome.approval.status == "applied"
    assert account.trading_state(account.book()).status.value == "active"


def test_the_chat_answer_of_a_flatten_says_which_close_was_refused(database, settings, account, chat):
    stranded_position(database, settings)

    graph, _, turn = chat("risk", "kill switch on and flatten",
                          call("set_kill_switch", engaged=True, reason="drill", flatten=True),
                          person={"id": "alice", "role": "approver", "user_id": ALICE.user_id})

    answer = _answer(graph, turn)
    assert "trading HALTED in every account" in answer
    assert "sell 10 AAA: REFUSED" in answer and "1 position still open: AAA" in answer


def test_the_chat_answers_positions_with_mark_value_and_pnl(database, account, chat):
    account.place(BOB, intent(qty=10))

    graph, _, turn = chat("execution", "my positions", call("get_positions"))

    answer = _answer(graph, turn)
    assert answer.startswith("Paper account paper · simulated market at")
    assert "unrealized P&L -$" in answer and answer.splitlines()[-1].split()[:2] == ["AAA", "10"]
