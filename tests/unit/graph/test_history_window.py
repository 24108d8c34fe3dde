"""A long thread's model input stays bounded: prompt, one note, recent turns and the current turn."""

from __future__ import annotations

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from agents.data_agent import SYSTEM_PROMPT
from graph.agent_spec import AGENT_NAMES, AgentSpec
from graph.context import HistoryPolicy
from graph.history import model_input, size
from graph.runner import STATE_WINDOW, ChatSession
from graph.transcript import thread_messages
from memory.checkpoint import in_memory_checkpointer
from tests.unit.graph.scripted import ScriptedChatModel, call, echo_tool, scripted_graph, turn_messages


def test_turn_200_of_a_thread_costs_at_most_one_and_a_half_times_turn_1():
    seen: list[int] = []  # characters of every model input, in order

    def respond(messages: list[BaseMessage]) -> AIMessage:
        seen.append(sum(size(m) for m in messages))
        if not any(isinstance(m, ToolMessage) for m in turn_messages(messages)):
            return AIMessage(content="", tool_calls=[call("data_lookup", text="bars for AAPL since 2015")])
        return AIMessage(content="AAPL has 2000 stored bars; the last close is stored too.")

    model = ScriptedChatModel(respond=respond)
    agents = {n: AgentSpec(n, SYSTEM_PROMPT, "t", [echo_tool(f"{n}_lookup")], model) for n in AGENT_NAMES}
    session = ChatSession(scripted_graph(agents, checkpointer=in_memory_checkpointer()), {"id": "a", "role": "viewer"})

    session.send("load the price data for AAPL, request number 000")
    first_turn = sum(seen)
    config = {"configurable": {"thread_id": session.thread_id}}
    turn_1 = session.graph.get_state(config).values["messages"]
    # turns 2..199, as the graph stored turn 1 (fresh ids), written straight into the checkpoint
    copies = [m.model_copy(update={"id": f"{m.id}-{i}", **({"tool_call_id": f"{m.tool_call_id}-{i}"}
                                                            if isinstance(m, ToolMessage) else {}),
                                   **({"tool_calls": [{**c, "id": f"{c['id']}-{i}"} for c in m.tool_calls]}
                                      if isinstance(m, AIMessage) and m.tool_calls else {})})
              for i in range(2, 200) for m in turn_1]
    session.graph.update_state(config, {"messages": copies}, as_node="supervisor")
    before = len(seen)

    session.send("load the price data for AAPL, request number 200")

    assert len(thread_messages(session.graph.checkpointer, session.thread_id)) == 800  # the whole thread is kept
    assert len(session.graph.get_state(config).values["messages"]) <= 1 + (STATE_WINDOW.max_turns + 1) * 4
    turn_200 = sum(seen[before:])
    assert turn_200 <= 1.5 * first_turn
    assert turn_200 > first_turn  # recent history and the summary line are still there, only bounded


def test_the_window_keeps_prompt_summary_line_and_whole_recent_turns():
    prompt = SystemMessage(content="p" * 1000)
    history: list[BaseMessage] = []
    for i in range(30):
        history += [HumanMessage(content=f"question {i}"),
                    AIMessage(content="", tool_calls=[{"name": "t", "args": {}, "id": f"c{i}", "type": "tool_call"}]),
                    ToolMessage(content="r" * 40, tool_call_id=f"c{i}", name="t"), AIMessage(content=f"answer {i}")]
    history.append(HumanMessage(content="question now"))

    window = model_input(prompt, history, "", HistoryPolicy(share=0.45, summary_chars=240))

    assert window[0] is prompt and window[-1].content == "question now"
    assert isinstance(window[1], SystemMessage) and "earlier turn(s) of this thread are not shown" in window[1].content
    kept = window[2:-1]
    assert kept and isinstance(kept[0], HumanMessage)  # whole turns only: a tool result never loses its call
    assert kept[-1].content == "answer 29"
    assert sum(size(m) for m in window[1:-1]) <= 0.45 * (1000 + len("question now"))
