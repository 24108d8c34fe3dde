"""A long thread's checkpointed state stays bounded: older whole turns move to the transcript store,
a summary message keeps their gist, and every reader still sees the whole history."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from benchmarks.agent_graphs import ASK_APPROVAL, LOOKUP, InMemoryApprovals, quantpilot_graph
from graph.context import GraphContext, HistoryPolicy
from graph.history import SUMMARY_ID, StateWindow, compact, model_input
from graph.runner import resume_turn, run_turn
from graph.transcript import thread_messages, thread_transcript
from guardrails.approvals import ApprovalDecision
from memory.checkpoint import in_memory_checkpointer, transcripts_for
from memory.thread_transcripts import InMemoryTranscripts

USER = {"id": "alice", "role": "trader"}
WINDOW = StateWindow(keep_turns=2, max_turns=4)


def _state(graph, thread_id: str) -> list[BaseMessage]:
    return graph.get_state({"configurable": {"thread_id": thread_id}}).values["messages"]


def _open_calls(messages: list[BaseMessage]) -> set[str]:
    called = {c["id"] for m in messages if isinstance(m, AIMessage) for c in m.tool_calls}
    return called - {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}


def test_a_long_thread_keeps_a_bounded_state_and_the_whole_history_in_the_transcript():
    saver = in_memory_checkpointer()
    graph = quantpilot_graph(saver)
    context = GraphContext(approvals=InMemoryApprovals())
    sizes = []
    for i in range(30):
        run_turn(graph, "t1", USER, f"question {i} about AAPL", context=context, window=WINDOW)
        sizes.append(len(_state(graph, "t1")))

    history = thread_messages(saver, "t1")
    asked = [m.content for m in history if isinstance(m, HumanMessage)]
    assert asked == [f"question {i} about AAPL" for i in range(30)]
    assert len(history) == 30 * 4 == len({m.id for m in history})  # human, call, result, answer per turn; once each
    assert all(m.id != SUMMARY_ID for m in history)
    # summary + at most max_turns earlier turns + the turn just run, 4 messages each
    assert max(sizes) <= 1 + (WINDOW.max_turns + 1) * 4
    assert sizes[-1] < 30 * 4
    transcript = thread_transcript(saver, "t1")
    assert [m["content"] for m in transcript["messages"]] == [m.content for m in history]


def test_the_summary_message_counts_the_archived_turns_and_the_model_is_told_of_them():
    saver = in_memory_checkpointer()
    graph = quantpilot_graph(saver)
    context = GraphContext(approvals=InMemoryApprovals())
    for i in range(12):
        run_turn(graph, "t2", USER, f"question {i}", context=context, window=WINDOW)

    state = _state(graph, "t2")
    summary = next(m for m in state if m.id == SUMMARY_ID)
    held_turns = sum(isinstance(m, HumanMessage) for m in state)
    archived = len(transcripts_for(saver).messages("t2"))
    assert isinstance(summary, SystemMessage) and sum(m.id == SUMMARY_ID for m in state) == 1
    assert summary.additional_kwargs["archived_history"]["turns"] == 12 - held_turns
    assert summary.additional_kwargs["archived_history"]["messages"] == archived == (12 - held_turns) * 4
    window = model_input(SystemMessage(content="p" * 2000), [*state, HumanMessage("next")], "", HistoryPolicy())
    note = next(m.content for m in window[1:] if isinstance(m, SystemMessage))
    last_archived = 12 - held_turns - 1
    assert int(note.split(" earlier turn(s)")[0].split()[-1]) >= 12 - held_turns  # archived, plus any not shown
    assert f'"question {last_archived}"' in note


def _turn(i: int, answered_later: bool = False) -> list[BaseMessage]:
    """A human question, a tool call and (unless ``answered_later``) its result, then an answer."""
    call = {"name": "t", "args": {}, "id": f"c{i}", "type": "tool_call"}
    turn: list[BaseMessage] = [HumanMessage(content=f"q{i}", id=f"h{i}"),
                               AIMessage(content="", tool_calls=[call], id=f"a{i}")]
    if not answered_later:
        turn.append(ToolMessage(content="r", tool_call_id=f"c{i}", id=f"t{i}"))
    return [*turn, AIMessage(content=f"answer {i}", id=f"f{i}")]


@given(turns=st.integers(min_value=0, max_value=14), late=st.sets(st.integers(min_value=0, max_value=13)),
       keep=st.integers(min_value=1, max_value=4), extra=st.integers(min_value=0, max_value=4))
def test_compaction_moves_whole_turns_and_never_a_tool_call_without_its_result(turns, late, keep, extra):
    messages: list[BaseMessage] = []
    for i in range(turns):
        messages += _turn(i, answered_later=i in late)
        if i in late:  # its result arrives in the next turn (as after an approval answered late)
            messages.append(ToolMessage(content="late", tool_call_id=f"c{i}", id=f"late{i}"))
    window = StateWindow(keep_turns=keep, max_turns=keep + extra)

    result = compact(messages, window)

    if result is None:
        return
    assert [m.id for m in result.archived + result.kept] == [m.id for m in messages]  # nothing lost or reordered
    assert isinstance(result.kept[0], HumanMessage) and isinstance(result.archived[0], HumanMessage)
    assert not _open_calls(result.archived)
    assert sum(isinstance(m, HumanMessage) for m in result.kept) >= keep
    assert result.summary.additional_kwargs["archived_history"]["messages"] == len(result.archived)


def test_a_second_compaction_continues_the_positions_and_the_count_of_the_first():
    messages = [m for i in range(10) for m in _turn(i)]
    first = compact(messages, WINDOW)
    second = compact([first.summary, *first.kept, *(m for i in range(10, 14) for m in _turn(i))], WINDOW)

    assert first.first_position == 0 and second.first_position == len(first.archived)
    assert second.summary.additional_kwargs["archived_history"]["turns"] == \
        sum(isinstance(m, HumanMessage) for m in first.archived + second.archived)
    assert second.summary.additional_kwargs["archived_history"]["asked"][-1] == second.archived[-4].content


def test_archiving_the_same_batch_twice_stores_each_message_once():
    store = InMemoryTranscripts()
    batch = [{"id": "m1", "type": "human", "data": {"content": "a"}}, {"id": "m2", "type": "ai", "data": {}}]

    store.append("t", 0, batch)
    store.append("t", 0, batch)

    assert [m["id"] for m in store.messages("t")] == ["m1", "m2"]


def _decision(approval_id: str) -> dict:
    return ApprovalDecision(approval_id=approval_id, verdict="approved", approver="bob", channel="cli",
                            decided_at=datetime.now(UTC)).model_dump(mode="json")


def test_an_approval_asked_on_a_compacted_thread_resumes_and_the_thread_goes_on():
    saver = in_memory_checkpointer()
    approvals = InMemoryApprovals()
    context = GraphContext(approvals=approvals)
    lookup, asking = quantpilot_graph(saver, LOOKUP), quantpilot_graph(saver, ASK_APPROVAL)
    for i in range(9):
        run_turn(lookup, "t3", USER, f"question {i}", context=context, window=WINDOW)

    stopped = run_turn(asking, "t3", USER, "raise my limit", context=context, window=WINDOW)
    done = resume_turn(asking, "t3", _decision(stopped.pending_approval["id"]), context=context)
    for i in range(9, 14):
        run_turn(lookup, "t3", USER, f"question {i}", context=context, window=WINDOW)

    assert stopped.pending_approval["kind"] == "risk_limit" and done.pending_approval is None
    assert '"status": "approved"' in done.answer
    assert approvals.requests[stopped.pending_approval["id"]]["status"] == "applied"
    history = thread_messages(saver, "t3")
    assert not _open_calls(history) and len(history) == len({m.id for m in history}) == 15 * 4
    assert [m.content for m in history if isinstance(m, HumanMessage)][9] == "raise my limit"


def test_a_turn_reads_the_saved_thread_once_besides_the_graph_itself():
    reads = []

    class CountingSaver(InMemorySaver):
        def get_tuple(self, config):
            reads.append(config)
            return super().get_tuple(config)

    saver = CountingSaver()
    graph = quantpilot_graph(saver)
    context = GraphContext(approvals=InMemoryApprovals())
    run_turn(graph, "t4", USER, "first", context=context)
    reads.clear()

    result = run_turn(graph, "t4", USER, "second", context=context)

    assert result.answer.startswith("answer:") and result.route[0] == "supervisor"
    assert len(reads) == 2  # the runner's own (waiting? what came before?) and the graph's load
