"""The two graphs the agent-turn benchmark compares do the same work: one tool call, then its answer;
a tool asking for approval stops both at an interrupt that a resume answers."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.types import Command

from benchmarks.agent_graphs import ASK_APPROVAL, LOOKUP, InMemoryApprovals, plain_graph, quantpilot_graph
from benchmarks.agent_turn import _decision
from graph.context import GraphContext
from graph.runner import resume_turn, run_turn
from memory.checkpoint import in_memory_checkpointer

USER = {"id": "bench", "role": "trader"}


def test_both_graphs_make_one_lookup_call_and_answer_with_its_result():
    plain = plain_graph(None).invoke({"messages": [HumanMessage("price of AAPL")]})["messages"]
    ours = run_turn(quantpilot_graph(in_memory_checkpointer()), "t1", USER, "price of AAPL", context=GraphContext())

    plain_calls = [c["name"] for m in plain if isinstance(m, AIMessage) for c in m.tool_calls]
    assert plain_calls == [c["name"] for c in ours.tool_calls] == [LOOKUP]
    tool_result = next(m.content for m in plain if isinstance(m, ToolMessage))
    assert plain[-1].content == f"answer: {tool_result}"
    assert '"close": 187.25' in ours.answer and ours.route[:3] == ["supervisor", "data", "data_tools"]


def test_both_graphs_stop_at_the_approval_interrupt_and_finish_on_resume():
    config = {"configurable": {"thread_id": "p1"}}
    plain = plain_graph(in_memory_checkpointer(), ASK_APPROVAL)
    stopped = plain.invoke({"messages": [HumanMessage("raise my limit")]}, config)
    resumed = plain.invoke(Command(resume={"verdict": "approved"}), config)
    approvals = InMemoryApprovals()
    context = GraphContext(approvals=approvals)
    ours = quantpilot_graph(in_memory_checkpointer(), ASK_APPROVAL)
    turn = run_turn(ours, "q1", USER, "raise my limit", context=context)
    done = resume_turn(ours, "q1", _decision(turn.pending_approval["id"]), context=context)

    assert "__interrupt__" in stopped and "__interrupt__" not in resumed
    assert resumed["messages"][-1].content.startswith("answer:") and "approved" in resumed["messages"][-1].content
    assert turn.pending_approval["kind"] == "risk_limit" and done.pending_approval is None
    assert approvals.requests[turn.pending_approval["id"]]["status"] == "applied"
    assert '"status": "approved"' in done.answer
