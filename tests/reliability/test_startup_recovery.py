"""The API's start-up recovery continues, on the product graph (offline planner, Postgres checkpointer),
a turn whose process stopped between two steps, and leaves threads idle for less than the threshold."""

from __future__ import annotations

import uuid

from langchain_core.messages import AIMessage, HumanMessage
from sqlalchemy import text

from config import Settings


def _half_done_turn(database, settings: Settings) -> str:
    """A real turn on the product graph stopped right after the supervisor's step, as a killed process
    leaves it: the checkpoint names the next node and no interrupt waits."""
    from graph.state import new_budget
    from graph.wiring import product_context, product_graph

    thread_id = f"thr_{uuid.uuid4().hex[:12]}"
    graph = product_graph(settings, database)
    config = {"configurable": {"thread_id": thread_id}}
    payload = {"messages": [HumanMessage(content="what's my exposure?")], "user": {"id": "dana", "role": "trader"},
               "budget": new_budget(12, 0.5), "hops": 0, "next_agent": None, "stop_reason": None, "refusal": None,
               "ungrounded_numbers": [], "untrusted_flags": None, "recollections": []}
    graph.invoke(payload, config, context=product_context(settings, database, "test"), interrupt_after=["supervisor"])
    state = graph.get_state(config)
    assert state.next and not state.interrupts
    return thread_id


def _continued(database, thread_id: str) -> int:
    with database.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'thread.continued' "
                                 "AND subject = :t"), {"t": thread_id}).scalar_one()


def test_start_up_recovery_finishes_a_half_done_turn_on_the_product_graph(no_checkpoints):
    from api.startup_recovery import start_thread_recovery
    from graph.wiring import product_graph

    database, settings = no_checkpoints, Settings()
    thread_id = _half_done_turn(database, settings)

    start_thread_recovery(settings, database, min_idle_s=0.0).join(timeout=120)

    state = product_graph(settings, database).get_state({"configurable": {"thread_id": thread_id}})
    assert state.next == ()
    assert isinstance(state.values["messages"][-1], AIMessage) and state.values["messages"][-1].content
    assert _continued(database, thread_id) == 1


def test_start_up_recovery_leaves_a_thread_that_may_still_be_running_elsewhere(no_checkpoints):
    from api.startup_recovery import start_thread_recovery
    from graph.wiring import product_graph

    database, settings = no_checkpoints, Settings()
    thread_id = _half_done_turn(database, settings)

    start_thread_recovery(settings, database, min_idle_s=3600.0).join(timeout=120)

    assert product_graph(settings, database).get_state({"configurable": {"thread_id": thread_id}}).next
    assert _continued(database, thread_id) == 0
