"""On Postgres: a long thread's older turns move to ``thread_transcript_messages`` and every reader
(``threads show``, the API history) still gets the whole thread, oldest first."""

from __future__ import annotations

from langchain_core.messages import HumanMessage
from sqlalchemy import func, select

from benchmarks.agent_graphs import InMemoryApprovals, quantpilot_graph
from graph.context import GraphContext
from graph.history import SUMMARY_ID, StateWindow
from graph.runner import run_turn
from graph.transcript import thread_messages, thread_transcript
from memory.checkpoint import transcripts_for
from memory.models.thread_transcripts import ThreadTranscriptMessage
from memory.thread_transcripts import ThreadTranscripts

USER = {"id": "alice", "role": "trader"}
WINDOW = StateWindow(keep_turns=2, max_turns=4)


def test_a_long_thread_on_postgres_is_archived_once_and_read_back_whole(database, checkpointer, thread_id):
    graph = quantpilot_graph(checkpointer)
    context = GraphContext(approvals=InMemoryApprovals())
    for i in range(12):
        run_turn(graph, thread_id, USER, f"question {i}", context=context, window=WINDOW)

    state = graph.get_state({"configurable": {"thread_id": thread_id}}).values["messages"]
    with database.session() as session:
        rows = session.scalar(select(func.count()).select_from(ThreadTranscriptMessage)
                              .where(ThreadTranscriptMessage.thread_id == thread_id))
    assert isinstance(transcripts_for(checkpointer), ThreadTranscripts)
    assert sum(m.id == SUMMARY_ID for m in state) == 1 and rows == 12 * 4 - (len(state) - 1) > 0
    history = thread_messages(checkpointer, thread_id)
    assert [m.content for m in history if isinstance(m, HumanMessage)] == [f"question {i}" for i in range(12)]
    shown = thread_transcript(checkpointer, thread_id)
    assert len(shown["messages"]) == 12 * 4 and shown["messages"][-1]["role"] == "ai"
    assert shown["route"][:2] == ["supervisor", "data"]


def test_writing_an_archived_batch_again_changes_nothing(database):
    store = ThreadTranscripts(database)
    batch = [{"id": "m1", "type": "human", "data": {"content": "hello", "type": "human"}},
             {"id": "m2", "type": "ai", "data": {"content": "hi", "type": "ai"}}]

    store.append("thr_x", 0, batch)
    store.append("thr_x", 0, batch)  # a turn retried after a crash archives the same messages again

    assert store.messages("thr_x") == batch
    assert store.messages("thr_other") == []
