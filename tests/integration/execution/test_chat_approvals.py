"""Approvals from the chat on the real execution path (Postgres, ExecutionService, PaperBroker): a manual
paper order waits for a ``paper_order`` approval and is then sent exactly once; releasing the kill
switch asks for the same resume request ``ExecutionService.request_resume`` stores, and its approval
resumes trading through the graph."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from graph.approval_resume import approval_service
from graph.context import GraphContext
from graph.runner import run_turn
from quant.execution.gate import Denied, DenyCode
from quant.execution.orders import OrderIntent
from services.approval_effects import execution_effects
from tests.integration.execution.conftest import count
from tests.support.people import ALICE, BOB
from tests.unit.graph.scripted import agents_with, call, calls_then_answer, scripted_graph, tool_payloads

TRADER = {"id": "alice", "role": "trader"}
ORDER = {"symbol": "AAA", "side": "buy", "qty": 10, "decision_key": "chat-1"}


@pytest.fixture()
def chat(database, service, settings, clock):
    """(graph factory, context factory): agents get the real tools on ``service``; the graph is on Postgres."""
    from memory.approvals import ApprovalStore
    from memory.checkpoint import postgres_checkpointer
    from memory.strategies import StrategyRegistry
    from tools import ToolContext, all_tools

    tool_ctx = ToolContext(settings=settings, database=database, clock=clock, broker=service.broker, user="alice",
                           role="trader", order_gateway=service, trading_state=service.states,
                           risk_limits=service.limits.current())
    tools = all_tools(tool_ctx)

    def graph(agent: str, *calls):
        model = calls_then_answer(list(calls))
        return scripted_graph(agents_with({agent: model}, {agent: list(tools.values())}),
                              checkpointer=postgres_checkpointer(database))

    def context(effects: bool = True) -> GraphContext:
        return GraphContext(approvals=ApprovalStore(database), strategies=StrategyRegistry(database), clock=clock,
                            channel="cli", approval_ttl=timedelta(hours=24),
                            effects=execution_effects(service) if effects else {})

    return graph, context


def _thread() -> str:
    return f"thr_{uuid.uuid4().hex[:12]}"


def test_a_chat_paper_order_waits_for_its_approval_then_is_sent_exactly_once(database, bars, service, chat):
    make_graph, make_context = chat
    graph, ctx, thread = make_graph("execution", call("place_order", order=ORDER)), make_context(), _thread()

    turn = run_turn(graph, thread, TRADER, "buy 10 AAA", context=ctx)

    pending = turn.pending_approval
    assert pending is not None and pending["kind"] == "paper_order"
    assert count(database, "paper_orders") == 0 and count(database, "orders") == 0
    intent = OrderIntent(symbol="AAA", side="buy", qty="10", strategy_id="manual", decision_key="chat-1")
    assert ctx.approvals.get(pending["id"]).subject["order_intent_hash"] == intent.client_order_id

    service_ = approval_service(ctx, graph)
    outcome = service_.approve(BOB, pending["id"], "paper is fine")  # someone other than the requester
    again = service_.approve(BOB, pending["id"], "paper is fine")

    assert outcome.approval.status == "applied" and again.repeated and again.turn is None
    assert count(database, "paper_orders") == 1
    assert {p.symbol: p.qty for p in service.broker.get_positions()} == {"AAA": 10}
    stored = service.orders.get(intent.client_order_id)
    assert stored.order.status.value == "filled"
    last = tool_payloads(graph.get_state({"configurable": {"thread_id": thread}}).values["messages"])[-1]
    assert last["status"] == "approved" and last["sent"] is True
    assert last["client_order_id"] == intent.client_order_id


def test_an_approved_paper_order_covers_only_that_order(database, bars, service, chat):
    make_graph, make_context = chat
    graph, ctx = make_graph("execution", call("place_order", order=ORDER)), make_context(effects=False)
    turn = run_turn(graph, _thread(), TRADER, "buy 10 AAA", context=ctx)
    approval_service(ctx, graph).approve(BOB, turn.pending_approval["id"])
    assert count(database, "paper_orders") == 0  # no effect registered: only recorded

    other = OrderIntent(symbol="AAA", side="buy", qty="11", strategy_id="manual", decision_key="chat-1")
    refused = service.place(ALICE, other)
    assert isinstance(refused, Denied) and refused.code is DenyCode.APPROVAL_MISSING

    same = OrderIntent(symbol="AAA", side="buy", qty="10", strategy_id="manual", decision_key="chat-1")
    placed = service.place(ALICE, same)  # the re-issued place_order
    assert placed.client_order_id == same.client_order_id and count(database, "paper_orders") == 1


def test_a_rejected_paper_order_sends_nothing(database, bars, service, chat):
    make_graph, make_context = chat
    graph, ctx = make_graph("execution", call("place_order", order=ORDER)), make_context()
    turn = run_turn(graph, _thread(), TRADER, "buy 10 AAA", context=ctx)
    outcome = approval_service(ctx, graph).reject(BOB, turn.pending_approval["id"], "no")
    assert outcome.approval.status == "rejected"
    same = OrderIntent(symbol="AAA", side="buy", qty="10", strategy_id="manual", decision_key="chat-1")
    assert isinstance(service.place(ALICE, same), Denied)
    assert count(database, "paper_orders") == 0


def test_releasing_the_kill_switch_from_the_chat_resumes_trading_after_approval(database, bars, service, chat):
    make_graph, make_context = chat
    halted = service.kill_switch_on(ALICE, reason="flash crash").state
    graph = make_graph("risk", call("set_kill_switch", engaged=False, reason="markets are calm again"))
    ctx, thread = make_context(), _thread()

    turn = run_turn(graph, thread, {"id": "alice", "role": "admin"}, "release the kill switch", context=ctx)

    pending = turn.pending_approval
    assert pending is not None and pending["kind"] == "risk_limit"
    subject = ctx.approvals.get(pending["id"]).subject
    assert subject["limit_change_id"] == f"resume-{halted.halt_id}" and subject["action"] == "resume_trading"
    assert service.states.current().status.value == "halted"

    outcome = approval_service(ctx, graph).approve(BOB, pending["id"], "ok")

    assert outcome.approval.status == "applied"
    assert service.states.current().status.value == "active"
    assert service.states.transitions()[0].approval_id == pending["id"]


def test_a_resume_approval_for_an_older_halt_does_not_resume_a_new_one(database, bars, service, chat):
    make_graph, make_context = chat
    first = service.kill_switch_on(ALICE, reason="first").state.halt_id
    graph = make_graph("risk", call("set_kill_switch", engaged=False, reason="calm again"))
    ctx = make_context()
    turn = run_turn(graph, _thread(), {"id": "alice", "role": "admin"}, "release the kill switch", context=ctx)
    second = service.kill_switch_on(ALICE, reason="second halt").state.halt_id
    assert second != first

    outcome = approval_service(ctx, graph).approve(BOB, turn.pending_approval["id"])

    assert outcome.approval.status == "invalid"
    assert outcome.approval.outcome["details"]["expected"] == f"resume-{second}"
    assert service.states.current().status.value == "halted"


def test_a_kill_switch_engaged_from_the_chat_goes_through_the_execution_path_and_is_on_record(
        database, bars, service, chat):
    from memory.audit import AuditLog

    make_graph, make_context = chat
    graph = make_graph("risk", call("set_kill_switch", engaged=True, reason="flash crash"))

    run_turn(graph, _thread(), TRADER, "kill switch on", context=make_context())

    assert service.states.current().status.value == "halted"
    (entry,) = AuditLog(database).recent(action="trading.kill_switch")
    assert (entry.actor, entry.payload["reason"], entry.payload["flatten"]) == ("alice", "flash crash", False)


def test_a_trader_asking_the_chat_to_halt_and_flatten_is_refused_before_anything_changes(database, bars, service,
                                                                                       chat):
    from memory.audit import AuditLog

    make_graph, make_context = chat
    graph = make_graph("risk", call("set_kill_switch", engaged=True, reason="get me out", flatten=True))

    turn = run_turn(graph, _thread(), TRADER, "kill switch on and flatten everything", context=make_context())

    assert [c["name"] for c in turn.tool_calls] == ["set_kill_switch"]
    assert '"status": "refused"' in turn.answer and "role_too_low" in turn.answer  # the tool's result, as answered
    assert service.states.current().status.value == "active"
    assert AuditLog(database).recent(action="trading.kill_switch") == []
