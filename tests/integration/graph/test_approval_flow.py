"""Approvals end to end on Postgres: request -> interrupt -> ApprovalService decision -> resume."""

from __future__ import annotations

from datetime import timedelta

import pytest

from errors import ApprovalError, PermissionDenied
from graph.approval_resume import approval_service
from graph.runner import run_turn
from tests.integration.graph.conftest import LIVE_EVIDENCE, PAPER_EVIDENCE
from tests.support.people import ALICE, BOB, CAROL, via
from tests.unit.graph.scripted import (
    agents_with,
    approval_tool,
    call,
    calls_then_answer,
    scripted_graph,
    tool_payloads,
)

USER = {"id": "alice", "role": "trader"}


def promotion_graph(checkpointer, to_stage: str, evidence: dict, strategy_id: str = "sma_aapl"):
    kind = {"backtested": "strategy", "paper": "paper", "live": "live"}[to_stage]
    tool = approval_tool("request_promotion", kind, {"strategy_id": strategy_id, "to_stage": to_stage}, evidence)
    model = calls_then_answer([call("request_promotion", note=f"promote to {to_stage}")])
    return scripted_graph(agents_with({"strategy": model}, {"strategy": [tool]}), checkpointer=checkpointer)


def test_paper_promotion_waits_for_approval_then_moves_the_strategy(checkpointer, context, stores, strategy_at,
                                                                    thread_id):
    approvals, strategies, _ = stores
    strategy_at("backtested")
    graph = promotion_graph(checkpointer, "paper", PAPER_EVIDENCE)

    turn = run_turn(graph, thread_id, USER, "promote sma_aapl to paper trading", context=context)

    assert turn.pending_approval is not None and turn.pending_approval["kind"] == "paper"
    assert strategies.get("sma_aapl").stage == "backtested"
    stored = approvals.get(turn.pending_approval["id"])
    assert stored.status == "pending" and stored.requester == "alice" and stored.thread_id == thread_id
    assert stored.subject["params_hash"] == strategies.get("sma_aapl").params_hash

    outcome = approval_service(context, graph).approve(BOB, turn.pending_approval["id"], "ok")

    assert strategies.get("sma_aapl").stage == "paper"
    assert outcome.approval.status == "applied"
    assert outcome.approval.decision.approver == "bob" and outcome.approval.decision.channel == "cli"
    assert outcome.turn is not None and outcome.turn.pending_approval is None
    assert '"status": "approved"' in outcome.turn.answer  # the scripted model echoes the tool result
    last = strategies.transitions("sma_aapl")[-1]
    assert (last.to_stage, last.approval_id, last.actor) == ("paper", stored.id, "bob")


def _agent_saw(turn_messages_graph, thread_id) -> list[dict]:
    return tool_payloads(turn_messages_graph.get_state({"configurable": {"thread_id": thread_id}}).values["messages"])


def test_rejection_returns_the_reason_to_the_agent_and_leaves_the_stage(checkpointer, context, stores, strategy_at,
                                                                       thread_id):
    approvals, strategies, _ = stores
    strategy_at("backtested")
    graph = promotion_graph(checkpointer, "paper", PAPER_EVIDENCE)
    turn = run_turn(graph, thread_id, USER, "promote sma_aapl to paper", context=context)

    outcome = approval_service(context, graph).reject(via(BOB, "slack"), turn.pending_approval["id"],
                                                      "drawdown too deep for my taste")

    assert strategies.get("sma_aapl").stage == "backtested"
    assert outcome.approval.status == "rejected"
    seen = _agent_saw(graph, thread_id)[-1]
    assert seen["status"] == "rejected" and seen["reason"] == "drawdown too deep for my taste"
    assert "drawdown too deep" in outcome.turn.answer  # the agent answered after reading the reason


def test_approval_after_expiry_is_refused_by_the_graph_and_marked_expired(checkpointer, context, clock, stores,
                                                                          strategy_at, thread_id):
    approvals, strategies, _ = stores
    strategy_at("backtested")
    graph = promotion_graph(checkpointer, "paper", PAPER_EVIDENCE)
    turn = run_turn(graph, thread_id, USER, "promote sma_aapl to paper", context=context)

    clock.advance(context.approval_ttl + timedelta(seconds=1))
    outcome = approval_service(context, graph).approve(BOB, turn.pending_approval["id"])

    assert outcome.approval.status == "expired"
    assert strategies.get("sma_aapl").stage == "backtested"
    assert _agent_saw(graph, thread_id)[-1]["code"] == "expired"


def test_approval_is_invalid_when_the_parameters_changed_since_the_request(checkpointer, context, stores,
                                                                           strategy_at, thread_id):
    approvals, strategies, _ = stores
    strategy_at("backtested")
    graph = promotion_graph(checkpointer, "paper", PAPER_EVIDENCE)
    turn = run_turn(graph, thread_id, USER, "promote sma_aapl to paper", context=context)
    requested_hash = approvals.get(turn.pending_approval["id"]).subject["params_hash"]

    strategies.register("sma_aapl", "SMA cross AAPL", "sma_cross", {"fast": 5, "slow": 50})  # new params
    outcome = approval_service(context, graph).approve(BOB, turn.pending_approval["id"])

    assert outcome.approval.status == "invalid"
    changed = _agent_saw(graph, thread_id)[-1]["details"]["changed"]
    assert changed["params_hash"]["requested"] == requested_hash
    assert changed["params_hash"]["now"] == strategies.get("sma_aapl").params_hash != requested_hash
    assert strategies.get("sma_aapl").stage == "draft"  # a parameter change sends it back to draft, not to paper


def test_live_approval_by_the_requester_is_refused_and_stays_pending(checkpointer, context, stores, strategy_at,
                                                                     thread_id):
    from dataclasses import replace

    approvals, strategies, _ = stores
    strategy_at("paper")
    live_context = replace(context, live_trading_enabled=True)
    graph = promotion_graph(checkpointer, "live", LIVE_EVIDENCE)
    turn = run_turn(graph, thread_id, USER, "promote sma_aapl to live", context=live_context)
    service = approval_service(live_context, graph)

    with pytest.raises(PermissionDenied) as refused:
        service.approve(ALICE, turn.pending_approval["id"])

    assert refused.value.code == "self_approval"
    assert approvals.get(turn.pending_approval["id"]).status == "pending"
    assert approvals.get(turn.pending_approval["id"]).decision is None
    outcome = service.approve(via(CAROL, "web"), turn.pending_approval["id"])  # a second person may
    assert outcome.approval.status == "applied" and strategies.get("sma_aapl").stage == "live"


def test_live_approval_is_refused_while_live_trading_is_disabled(checkpointer, context, stores, strategy_at,
                                                                thread_id):
    approvals, strategies, _ = stores
    strategy_at("paper")
    graph = promotion_graph(checkpointer, "live", LIVE_EVIDENCE)
    turn = run_turn(graph, thread_id, USER, "promote sma_aapl to live", context=context)  # live off by default

    with pytest.raises(ApprovalError) as refused:
        approval_service(context, graph).approve(CAROL, turn.pending_approval["id"])

    assert refused.value.code == "live_trading_disabled"
    assert strategies.get("sma_aapl").stage == "paper"


def test_graph_refuses_a_live_approval_resumed_directly_when_live_trading_is_off(checkpointer, context, stores,
                                                                                 strategy_at, thread_id):
    """The graph re-checks on resume: a decision that bypassed ApprovalService still cannot go live."""
    from graph.runner import resume_turn

    approvals, strategies, _ = stores
    strategy_at("paper")
    graph = promotion_graph(checkpointer, "live", LIVE_EVIDENCE)
    turn = run_turn(graph, thread_id, USER, "promote sma_aapl to live", context=context)
    decision = {"approval_id": turn.pending_approval["id"], "verdict": "approved", "approver": "carol",
                "channel": "api", "decided_at": context.now().isoformat()}

    resume_turn(graph, thread_id, decision, context=context)

    assert strategies.get("sma_aapl").stage == "paper"
    assert approvals.get(turn.pending_approval["id"]).status == "invalid"
    assert _agent_saw(graph, thread_id)[-1]["code"] == "live_trading_disabled"


def test_repeating_the_same_approval_is_idempotent_and_a_contrary_one_is_refused(checkpointer, context, stores,
                                                                                 strategy_at, thread_id):
    approvals, strategies, _ = stores
    strategy_at("backtested")
    graph = promotion_graph(checkpointer, "paper", PAPER_EVIDENCE)
    turn = run_turn(graph, thread_id, USER, "promote sma_aapl to paper", context=context)
    service = approval_service(context, graph)
    first = service.approve(BOB, turn.pending_approval["id"])

    again = service.approve(BOB, turn.pending_approval["id"])
    with pytest.raises(ApprovalError) as contrary:
        service.reject(CAROL, turn.pending_approval["id"], "no")

    assert (first.repeated, again.repeated) == (False, True)
    assert again.turn is None and again.approval.status == "applied"
    assert contrary.value.code == "already_decided"
    assert [t.to_stage for t in strategies.transitions("sma_aapl")].count("paper") == 1


def test_a_promotion_that_skips_a_stage_is_refused_before_anyone_is_asked(checkpointer, context, stores,
                                                                          strategy_at, thread_id):
    approvals, strategies, _ = stores
    strategy_at("backtested")
    graph = promotion_graph(checkpointer, "live", LIVE_EVIDENCE)

    turn = run_turn(graph, thread_id, USER, "promote sma_aapl to live", context=context)

    assert turn.pending_approval is None and approvals.list() == []
    refusal = _agent_saw(graph, thread_id)[-1]
    assert refusal["code"] == "skips_stage" and refusal["details"]["skipped"] == ["paper"]


def test_paper_request_is_refused_when_the_backtest_misses_the_bar(checkpointer, context, stores, strategy_at,
                                                                   thread_id):
    approvals, _, _ = stores
    strategy_at("backtested")
    weak = {**PAPER_EVIDENCE, "oos_sharpe": 0.1}
    graph = promotion_graph(checkpointer, "paper", weak)

    turn = run_turn(graph, thread_id, USER, "promote sma_aapl to paper", context=context)

    refusal = _agent_saw(graph, thread_id)[-1]
    assert turn.pending_approval is None and approvals.list() == []
    assert refusal["code"] == "criterion_not_met"
    assert (refusal["details"]["field"], refusal["details"]["observed"]) == ("oos_sharpe", 0.1)


def test_a_question_that_changes_nothing_is_answered_while_the_thread_waits_and_the_approval_still_applies(
        checkpointer, context, stores, strategy_at, thread_id):
    approvals, strategies, _ = stores
    strategy_at("backtested")
    graph = promotion_graph(checkpointer, "paper", PAPER_EVIDENCE)
    waiting = run_turn(graph, thread_id, USER, "promote sma_aapl to paper", context=context)

    aside = run_turn(graph, thread_id, USER, "what's my status?", context=context)

    assert aside.thread_id == thread_id and aside.pending_approval == waiting.pending_approval
    assert aside.tool_calls == [{"name": "monitoring_lookup", "args": {"text": "monitoring"}}]
    assert '"tool": "monitoring_lookup"' in aside.answer
    assert graph.get_state({"configurable": {"thread_id": thread_id}}).interrupts  # still waiting
    outcome = approval_service(context, graph).approve(BOB, waiting.pending_approval["id"])
    assert outcome.approval.status == "applied" and strategies.get("sma_aapl").stage == "paper"
    assert [a.id for a in approvals.list()] == [waiting.pending_approval["id"]]  # the question asked for nothing


def test_a_request_that_would_change_state_is_refused_while_the_thread_waits(checkpointer, context, strategy_at,
                                                                              thread_id):
    strategy_at("backtested")
    graph = promotion_graph(checkpointer, "paper", PAPER_EVIDENCE)
    waiting = run_turn(graph, thread_id, USER, "promote sma_aapl to paper", context=context)

    with pytest.raises(ApprovalError) as refused:
        run_turn(graph, thread_id, USER, "buy 10 AAPL", context=context)

    assert refused.value.code == "approval_pending"
    assert refused.value.details == {"approval_id": waiting.pending_approval["id"]}
    assert "place order would change something" in str(refused.value)


def test_a_model_calling_a_state_changing_tool_beside_a_waiting_approval_is_refused_below_it(
        checkpointer, context, stores, strategy_at, thread_id):
    approvals, _, _ = stores
    strategy_at("backtested")
    tool = approval_tool("request_promotion", "paper", {"strategy_id": "sma_aapl", "to_stage": "paper"},
                         PAPER_EVIDENCE)
    model = calls_then_answer([call("request_promotion", note="again")])
    graph = scripted_graph(agents_with({"strategy": model, "monitoring": model},
                                       {"strategy": [tool], "monitoring": [tool]}), checkpointer=checkpointer)
    waiting = run_turn(graph, thread_id, USER, "promote sma_aapl to paper", context=context)

    aside = run_turn(graph, thread_id, USER, "hmm, and now?", context=context)  # the script asks again anyway

    assert aside.pending_approval == waiting.pending_approval
    assert '"code": "approval_pending"' in aside.answer
    assert [a.id for a in approvals.list()] == [waiting.pending_approval["id"]]


def test_a_risk_limit_change_is_applied_by_its_registered_effect_only_after_approval(checkpointer, context, stores,
                                                                                    thread_id):
    from dataclasses import replace

    approvals, _, _ = stores
    applied: list[tuple[str, str]] = []

    def apply_limit(request, decision):
        applied.append((request.subject.limit_change_id, decision.approver))
        return {"limit": "max_position_pct", "now": 15.0}

    ctx = replace(context, effects={"risk_limit": apply_limit})
    tool = approval_tool("propose_risk_limit_change", "risk_limit", {"limit_change_id": "lc_1"},
                         {"limit": "max_position_pct", "from": 10.0, "to": 15.0})
    graph = scripted_graph(agents_with({"risk": calls_then_answer([call("propose_risk_limit_change")])},
                                    {"risk": [tool]}), checkpointer=checkpointer)
    turn = run_turn(graph, thread_id, USER, "raise my position risk limit to 15%", context=ctx)
    assert turn.pending_approval["kind"] == "risk_limit" and applied == []

    outcome = approval_service(ctx, graph).approve(via(BOB, "web"), turn.pending_approval["id"])

    assert applied == [("lc_1", "bob")]  # someone other than the requester, as for every kind
    assert outcome.approval.status == "applied" and outcome.approval.outcome["now"] == 15.0
