"""A real quantpilot process for the crash tests: the product graph machinery (Postgres checkpointer,
ApprovalService, ExecutionService, paper broker, research job runner) on the test database, with the model
and one order tool scripted. It prints ``AT:<point>`` and then blocks at the ``--hold`` point so the parent
can SIGKILL it there; without ``--hold`` it runs to the end and prints one JSON line.

Commands (argv):
  turn THREAD [--hold interrupted|before_submit|after_submit]
      run the user turn to its approval interrupt, then approve it as bob (resuming the thread, whose
      strategy agent then places the paper order through ExecutionService)
  restart THREAD
      what a restarted process does: ``ExecutionService.recover()``, answer the stored decision again
      through ApprovalService (or approve it if it was never decided), and continue the thread from its
      checkpoint if a step is still pending
  recover THREAD [--twice]
      a restarted process that only runs start-up recovery: ``ExecutionService.recover()`` then
      ``graph.recovery.resume_unfinished_threads`` (twice with ``--twice``, to show the second does nothing)
  job [--hold running]            submit one backtest job and run it
  job-restart                     a fresh job runner: ``recover()`` then wait for every job
The clock is ``QP_CLOCK`` (ISO time after the last stored bar). With ``QP_PAUSE_AT=<point>`` the child waits
at that point until the file ``QP_GO_FILE`` exists, then goes on. A ``QuantpilotError`` ends the child with
exit 2 and one JSON line ``{"error": class, "code", "message"}`` (what the CLI shows as one line).
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime
from decimal import Decimal
from typing import Any

from guardrails.policy import Actor
from tests.support.people import ALICE, BOB

STRATEGY = "sma_aapl"
DECISION_KEY = "crash-turn-1"
PAPER_EVIDENCE = {"oos_sharpe": 1.2, "trades": 40, "max_drawdown_pct": 12.0}


def hold_at(point: str, wanted: str | None) -> None:
    print(f"AT:{point}", flush=True)
    if point == wanted:
        time.sleep(600)  # the parent kills us here
    if point == os.environ.get("QP_PAUSE_AT"):  # the parent does something to the database, then lets us go on
        go = os.environ["QP_GO_FILE"]
        deadline = time.monotonic() + 120
        while not os.path.exists(go) and time.monotonic() < deadline:
            time.sleep(0.02)


class SignallingBroker:
    """The paper broker behind a boundary that announces each order send (and blocks at the held point)."""

    def __init__(self, inner: Any, hold: str | None) -> None:
        self._inner, self._hold = inner, hold

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def place_order(self, intent: Any) -> Any:
        hold_at("before_submit", self._hold)
        order = self._inner.place_order(intent)
        hold_at("after_submit", self._hold)
        return order


def _clock() -> datetime:
    return datetime.fromisoformat(os.environ["QP_CLOCK"])


def _execution(database, hold: str | None):
    from config import Settings
    from memory.paper_broker import PaperBroker
    from services.execution import ExecutionService

    broker = SignallingBroker(PaperBroker(database, clock=_clock), hold)
    return ExecutionService(database, broker, settings=Settings(), clock=_clock, channel="graph")


def _graph(database, execution):
    from langchain_core.tools import StructuredTool

    from guardrails.authorization import ToolPolicy
    from guardrails.policy import Operation
    from memory.checkpoint import postgres_checkpointer
    from quant.execution.orders import Order, OrderIntent
    from tests.unit.graph.scripted import SCRIPTED_POLICY, agents_with, approval_tool, call, calls_then_answer

    def submit_paper_order() -> dict[str, Any]:
        intent = OrderIntent(symbol="AAA", side="buy", qty=Decimal(5), strategy_id=STRATEGY,
                             decision_key=DECISION_KEY)
        outcome = execution.place(ALICE, intent)
        if isinstance(outcome, Order):
            return {"status": "ok", "client_order_id": outcome.client_order_id, "order": outcome.status.value}
        return {"status": "refused", "detail": str(outcome)}

    order_tool = StructuredTool.from_function(submit_paper_order, name="submit_paper_order",
                                              description="place the approved paper order")
    promote = approval_tool("request_promotion", "paper", {"strategy_id": STRATEGY, "to_stage": "paper"},
                            PAPER_EVIDENCE)
    model = calls_then_answer([call("request_promotion", note="to paper")], [call("submit_paper_order")])
    policy = {**SCRIPTED_POLICY, "submit_paper_order": ToolPolicy(Operation.PLACE_ORDER, frozenset({"strategy"}), True)}
    from tests.unit.graph.scripted import scripted_graph

    return scripted_graph(agents_with({"strategy": model}, {"strategy": [promote, order_tool]}),
                          checkpointer=postgres_checkpointer(database), tool_policy=policy)


def _turn(thread_id: str, hold: str | None) -> dict[str, Any]:
    from graph.approval_resume import approval_service
    from graph.context import database_context
    from graph.runner import run_turn
    from memory.db import connect

    database = connect()
    context = database_context(database)
    graph = _graph(database, _execution(database, hold))
    first = run_turn(graph, thread_id, {"id": "alice", "role": "trader"}, "promote sma_aapl to paper and buy",
                     context=context)
    hold_at("interrupted", hold)
    outcome = approval_service(context, graph).approve(BOB, first.pending_approval["id"])
    return {"approval": outcome.approval.status, "answer": outcome.turn.answer if outcome.turn else None}


def _restart(thread_id: str) -> dict[str, Any]:
    from graph.approval_resume import approval_service
    from graph.context import database_context
    from graph.runner import pending_interrupt
    from memory.db import connect

    database = connect()
    context = database_context(database)
    execution = _execution(database, None)
    report = execution.recover(Actor.system("restart"))
    graph = _graph(database, execution)
    config = {"configurable": {"thread_id": thread_id}}
    waiting = pending_interrupt(graph, thread_id)
    resumed_from = "interrupt" if waiting else ("checkpoint" if graph.get_state(config).next else "done")
    approval_id = waiting[1]["id"] if waiting else None
    if approval_id is None:
        records = [r for r in context.approvals.list() if r.thread_id == thread_id]
        approval_id = records[0].id if records else None
    if approval_id is not None:
        approval_service(context, graph).approve(BOB, approval_id)
    if graph.get_state(config).next:  # killed between steps: continue from the last checkpoint
        graph.invoke(None, config, context=context)
    return {"resumed_from": resumed_from, "next": list(graph.get_state(config).next),
            "recover": {k: list(getattr(report, k)) for k in ("found_at_broker", "resubmitted", "abandoned",
                                                               "refreshed", "still_unknown")}}


def _recover(thread_id: str, twice: bool) -> dict[str, Any]:
    from graph.context import database_context
    from graph.recovery import resume_unfinished_threads
    from graph.runner import pending_interrupt
    from memory.db import connect

    database = connect()
    context = database_context(database, channel="system")
    execution = _execution(database, None)
    report = execution.recover(Actor.system("restart"))
    graph = _graph(database, execution)
    rounds = [[r.to_dict() for r in resume_unfinished_threads(database, graph, context)]
              for _ in range(2 if twice else 1)]
    waiting = pending_interrupt(graph, thread_id)
    return {"rounds": rounds, "next": list(graph.get_state({"configurable": {"thread_id": thread_id}}).next),
            "waiting": None if waiting is None else waiting[1]["id"],
            "found_at_broker": list(report.found_at_broker)}


def _job(hold: str | None) -> dict[str, Any]:
    from api.jobs import ResearchJobs
    from memory.db import connect

    jobs = ResearchJobs(connect(), workers=1)
    request = {"strategy": "sma_crossover", "symbols": ["AAA"], "params": {"fast": 5, "slow": 20}}
    record = jobs.submit(ALICE, "backtest", request, run_now=hold != "queued")
    hold_at("queued", hold)
    jobs.wait(record.id, timeout_s=120)
    return {"job": record.id, "status": jobs.runs.get(record.id).status}


def _job_restart() -> dict[str, Any]:
    from api.jobs import ResearchJobs
    from memory.db import connect

    jobs = ResearchJobs(connect(), workers=1)
    ids = jobs.recover()
    for run_id in ids:
        jobs.wait(run_id, timeout_s=120)
    return {"recovered": ids, "claimed": list(jobs.claimed)}


def main(argv: list[str]) -> None:
    hold = argv[argv.index("--hold") + 1] if "--hold" in argv else None
    from errors import QuantpilotError

    try:
        result = _dispatch(argv[0], argv, hold)
    except QuantpilotError as exc:
        print(json.dumps({"error": exc.__class__.__name__, "code": exc.code, "message": str(exc).splitlines()[0]}),
              flush=True)
        sys.exit(2)
    print(json.dumps(result, default=str), flush=True)


def _dispatch(command: str, argv: list[str], hold: str | None) -> dict[str, Any]:
    if command == "turn":
        return _turn(argv[1], hold)
    if command == "restart":
        return _restart(argv[1])
    if command == "recover":
        return _recover(argv[1], "--twice" in argv)
    if command == "job":
        return _job(hold)
    return _job_restart()


if __name__ == "__main__":
    main(sys.argv[1:])
