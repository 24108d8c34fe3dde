"""A turn refuses, before anything is stored, a message with no text or one over the length bound."""

from __future__ import annotations

import pytest

from errors import ConfigError
from graph.context import GraphContext
from graph.runner import MAX_MESSAGE_CHARS, run_turn
from memory.checkpoint import in_memory_checkpointer
from tests.unit.graph.scripted import agents_with, scripted_graph

USER = {"id": "alice", "role": "trader"}


@pytest.mark.parametrize("text", ["", "   \n\t", "x" * (MAX_MESSAGE_CHARS + 1)], ids=["empty", "blank", "too_long"])
def test_a_message_without_text_or_too_long_is_refused_and_nothing_is_stored(text):
    saver = in_memory_checkpointer()
    graph = scripted_graph(agents_with(), checkpointer=saver)

    with pytest.raises(ConfigError) as refused:
        run_turn(graph, "thr_bounds", USER, text, context=GraphContext())

    assert refused.value.details["field"] == "message"
    assert saver.get_tuple({"configurable": {"thread_id": "thr_bounds"}}) is None


def test_a_message_at_the_bound_runs():
    graph = scripted_graph(agents_with(), checkpointer=in_memory_checkpointer())

    turn = run_turn(graph, "thr_bound_ok", USER, "what is " + "x" * (MAX_MESSAGE_CHARS - 8), context=GraphContext())

    assert turn.route[0] == "supervisor" and turn.answer
