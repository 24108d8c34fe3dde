"""The checkpointer's per-channel blob lookup loads exactly what LangGraph's own query loads."""

from __future__ import annotations

from langgraph.checkpoint.postgres import PostgresSaver

from benchmarks.agent_graphs import ASK_APPROVAL, InMemoryApprovals, quantpilot_graph
from graph.context import GraphContext
from graph.runner import run_turn
from memory.checkpoint import IndexedPostgresSaver

USER = {"id": "alice", "role": "trader"}


def test_the_indexed_load_returns_the_same_checkpoints_as_the_upstream_query(checkpointer, thread_id):
    context = GraphContext(approvals=InMemoryApprovals())
    for i in range(6):
        run_turn(quantpilot_graph(checkpointer), thread_id, USER, f"question {i}", context=context)
    stopped = run_turn(quantpilot_graph(checkpointer, ASK_APPROVAL), thread_id, USER, "raise it", context=context)
    upstream = PostgresSaver(checkpointer.conn)
    config = {"configurable": {"thread_id": thread_id}}

    ours, theirs = checkpointer.get_tuple(config), upstream.get_tuple(config)
    history_ours, history_theirs = list(checkpointer.list(config)), list(upstream.list(config))

    assert isinstance(checkpointer, IndexedPostgresSaver) and stopped.pending_approval is not None
    assert ours.checkpoint == theirs.checkpoint and ours.pending_writes == theirs.pending_writes
    assert any(w[1] == "__interrupt__" for w in ours.pending_writes)
    assert len(ours.checkpoint["channel_values"]["messages"]) == 6 * 4 + 2  # question + call; its answer waits
    assert [t.checkpoint for t in history_ours] == [t.checkpoint for t in history_theirs]
    assert len(history_ours) > 7
