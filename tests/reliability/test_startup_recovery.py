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


def _age(database, thread_id: str, hours: float) -> None:
    """Move every checkpoint of ``thread_id`` ``hours`` into the past (as if it had been cut off back then)."""
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE checkpoints SET checkpoint = jsonb_set(checkpoint, '{ts}', to_jsonb(to_char("
                          "((checkpoint ->> 'ts')::timestamptz - make_interval(secs => CAST(:s AS float8))) "
                          "AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"'))) WHERE thread_id = :t"),
                     {"s": hours * 3600, "t": thread_id})


def test_only_threads_whose_last_step_lies_in_the_window_are_looked_at(no_checkpoints):
    from datetime import UTC, datetime, timedelta

    from graph.recovery import checkpointed_threads

    database, settings = no_checkpoints, Settings()
    fresh, old = _half_done_turn(database, settings), _half_done_turn(database, settings)
    _age(database, old, 48)
    hour_ago = datetime.now(UTC) - timedelta(hours=1)

    assert set(checkpointed_threads(database)) == {fresh, old}
    assert checkpointed_threads(database, newer_than=hour_ago) == [fresh]
    assert checkpointed_threads(database, older_than=hour_ago) == [old]


def test_a_turn_cut_off_days_ago_is_left_for_an_operator_who_can_continue_it(no_checkpoints):
    import json

    from api.startup_recovery import start_thread_recovery
    from graph.wiring import product_graph
    from tests.integration.cli_runner import run_cli

    database, settings = no_checkpoints, Settings()
    thread_id = _half_done_turn(database, settings)
    _age(database, thread_id, 48)

    start_thread_recovery(settings, database, min_idle_s=60.0, max_age_s=86_400.0).join(timeout=120)
    left = product_graph(settings, database).get_state({"configurable": {"thread_id": thread_id}}).next
    continued_at_start_up = _continued(database, thread_id)
    default_cli = run_cli("threads", "recover", "--json")
    on_purpose = run_cli("threads", "recover", "--max-age-hours", "0", "--json")

    assert left and continued_at_start_up == 0
    assert default_cli.exit_code == 0 and json.loads(default_cli.stdout) == []
    assert on_purpose.exit_code == 0, on_purpose.stderr
    assert [r["thread_id"] for r in json.loads(on_purpose.stdout)] == [thread_id]
    assert _continued(database, thread_id) == 1
