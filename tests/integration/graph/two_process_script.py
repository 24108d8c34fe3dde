"""Run as a separate process by test_cross_process: ``request THREAD`` runs a turn to its interrupt and exits;
``approve APPROVAL_ID APPROVER`` answers it through ApprovalService from a fresh process. Prints JSON."""

from __future__ import annotations

import json
import sys


def _graph(database):
    from memory.checkpoint import postgres_checkpointer
    from tests.integration.graph.conftest import PAPER_EVIDENCE
    from tests.unit.graph.scripted import agents_with, approval_tool, call, calls_then_answer, scripted_graph

    tool = approval_tool("request_promotion", "paper", {"strategy_id": "sma_aapl", "to_stage": "paper"},
                         PAPER_EVIDENCE)
    model = calls_then_answer([call("request_promotion", note="to paper")])
    return scripted_graph(agents_with({"strategy": model}, {"strategy": [tool]}),
                       checkpointer=postgres_checkpointer(database))


def main(argv: list[str]) -> None:
    from graph.context import database_context
    from memory.db import connect

    database = connect()
    context = database_context(database)
    graph = _graph(database)
    if argv[0] == "request":
        from graph.runner import run_turn

        result = run_turn(graph, argv[1], {"id": "alice", "role": "trader"}, "promote sma_aapl to paper",
                          context=context)
        print(json.dumps(result.to_dict()))
    else:
        from graph.approval_resume import approval_service
        from tests.support.people import BY_NAME

        outcome = approval_service(context, graph).approve(BY_NAME[argv[2]], argv[1], "from B")
        print(json.dumps(outcome.to_dict(), default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
