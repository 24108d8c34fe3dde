"""Approval nodes: ``request_approval`` stores the request, ``approval`` waits in ``interrupt()`` and
re-validates the answer, ``apply_approval`` performs the side effect and tells the agent.

``approval`` has no side effects because LangGraph re-runs an interrupted node from its top on
resume; the stage transition or limit change happens only in ``apply_approval``, after it.
The request, the decision and any stage transition are appended to the audit log (who, through
which channel); the decision is counted in Prometheus and remembered, redacted, in the
requester's long-term memory.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from langchain_core.messages import ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from errors import ApprovalError, QuantpilotError
from graph.context import GraphContext
from graph.state import GraphState
from graph.thread_actor import thread_actor
from graph.tool_guard import audit
from guardrails.approvals import (
    ORDER_KINDS,
    STRATEGY_KINDS,
    ApprovalDecision,
    ApprovalRequest,
    Revalidation,
    RevalidationCode,
    Verdict,
    normalise_kind,
    revalidate,
)
from guardrails.ladder import APPROVAL_KIND_FOR_STAGE, Stage, check_promotion, parse_stage
from guardrails.redaction import RedactingFilter, redact
from services.approvals import store_request

_ROUTING_KEYS = ("agent", "tool_call_id", "tool")
log = logging.getLogger("quantpilot.graph.approvals")
log.addFilter(RedactingFilter())


def is_approval_required(payload: Any) -> bool:
    return isinstance(payload, dict) and payload.get("status") == "approval_required"


def _refusal(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"status": "refused", "code": code, "message": message, "details": details or {}}


def _strategy_subject(kind: str, subject: dict[str, Any], evidence: dict[str, Any], ctx: GraphContext
                      ) -> dict[str, Any]:
    """Complete and check a strategy subject against the registry and the ladder; a refusal dict if it fails."""
    if ctx.strategies is None:
        return _refusal("approvals_unavailable", "no strategy registry in this run; promotions cannot be requested")
    sid = subject.get("strategy_id")
    record = ctx.strategies.get(sid) if sid else None
    if record is None:
        return _refusal("unknown_strategy", f"strategy {sid!r} is not registered", {"strategy_id": sid})
    target = subject.get("to_stage") or next((s.value for s, k in APPROVAL_KIND_FOR_STAGE.items() if k == kind), None)
    stage = parse_stage(target or "")
    if not isinstance(stage, Stage) or APPROVAL_KIND_FOR_STAGE.get(stage) != kind:
        return _refusal("kind_mismatch", f"a {kind} approval cannot move a strategy to {target!r}",
                        {"kind": kind, "to_stage": target})
    for key in ("version", "params_hash"):
        if subject.get(key) is not None and subject[key] != getattr(record, key):
            return _refusal("stale_evidence", f"strategy {sid!r} {key} is {getattr(record, key)!r}, "
                            f"the request names {subject[key]!r}", {key: {"requested": subject[key],
                                                                         "now": getattr(record, key)}})
    refused = check_promotion(record.stage, stage.value, evidence, ctx.criteria)
    if refused is not None:
        return _refusal(refused.code.value, f"promotion of {sid!r} refused: {refused.message}", refused.details)
    return {**subject, "strategy_id": sid, "version": record.version, "params_hash": record.params_hash,
            "from_stage": record.stage, "to_stage": stage.value}


def build_approval_request(payload: dict[str, Any], *, state: GraphState, ctx: GraphContext, config: RunnableConfig,
                           already_pending: bool) -> dict[str, Any]:
    """An ApprovalRequest (as JSON) from a tool's ``approval_required`` result, or a refusal dict.

    Refused before anyone is asked: a second approval in the same step, no approval store, an
    unknown kind, a strategy that is unknown/stale, a stage skip or unmet entry criteria.
    """
    if already_pending:
        return _refusal("one_approval_at_a_time", "another approval is already requested in this step")
    if ctx.approvals is None:
        return _refusal("approvals_unavailable", "no approval store in this run; approvals cannot be requested")
    kind = normalise_kind(str(payload.get("kind", "")))
    subject = dict(payload.get("subject") or {})
    evidence = dict(payload.get("evidence") or {})
    if kind in STRATEGY_KINDS:
        subject = _strategy_subject(kind, subject, evidence, ctx)
        if subject.get("status") == "refused":
            return subject
    now = ctx.now()
    user = state.get("user") or {"id": "anonymous"}
    try:
        request = ApprovalRequest(
            kind=kind, subject=subject, evidence=evidence,  # type: ignore[arg-type]
            summary=str(payload.get("reason") or payload.get("summary") or ""),
            requester=str(user.get("id") or payload.get("requested_by") or "anonymous"),
            requester_id=user.get("user_id"), channel=ctx.channel,
            thread_id=str(config.get("configurable", {}).get("thread_id") or "") or None,
            created_at=now, expires_at=now + ctx.approval_ttl,
        )
    except ValidationError as exc:
        return _refusal("invalid_approval_request", str(exc.errors()[0]["msg"]), {"kind": kind})
    return request.model_dump(mode="json")


def _request(pending: dict[str, Any]) -> ApprovalRequest:
    return ApprovalRequest.model_validate({k: v for k, v in pending.items() if k not in _ROUTING_KEYS})


def request_approval(state: GraphState, runtime: Runtime[GraphContext]) -> Command:
    """Store the pending request (idempotent by id) so every interface can list it, then wait for it."""
    ctx = runtime.context or GraphContext()
    pending = state["pending_approval"] or {}
    request = _request(pending)
    if ctx.approvals is not None:  # the request and its audit row in one transaction, once even if this re-runs
        store_request(ctx.approvals, ctx.audit, thread_actor(state, ctx), request)
    else:
        audit(ctx, request.requester, "approval_requested", f"approval:{request.id}",
              {"kind": request.kind, "thread_id": request.thread_id}, channel=request.channel)
    return Command(goto="approval", update={"route": ["request_approval"]})


def _current(request: ApprovalRequest, ctx: GraphContext) -> dict[str, Any] | None:
    if request.kind not in STRATEGY_KINDS or ctx.strategies is None or not request.subject.strategy_id:
        return None
    record = ctx.strategies.get(request.subject.strategy_id)
    return None if record is None else record.subject()


def approval(state: GraphState, runtime: Runtime[GraphContext]) -> Command:
    """Wait for the human decision (``interrupt``), then re-check it. No side effects: this re-runs on resume."""
    ctx = runtime.context or GraphContext()
    pending = state["pending_approval"] or {}
    request = _request(pending)
    answer = interrupt(request.model_dump(mode="json"))
    try:
        decision = ApprovalDecision.model_validate(answer)
    except ValidationError as exc:
        problem: Revalidation | None = Revalidation(RevalidationCode.WRONG_REQUEST, {"error": str(exc)[:200]})
        decision = None
    else:
        problem = revalidate(request, decision, now=ctx.now(), current=_current(request, ctx),
                             live_trading_enabled=ctx.live_trading_enabled,
                             allow_self_approval=ctx.allow_self_approval)
        if problem is None and decision.verdict == Verdict.APPROVED and request.kind in STRATEGY_KINDS:
            refused = check_promotion(request.subject.from_stage or "", request.subject.to_stage or "",
                                      request.evidence, ctx.criteria)
            if refused is not None:
                problem = Revalidation(RevalidationCode.LADDER, {"code": refused.code.value, **refused.details})
    result = {
        "approval_id": request.id,
        "decision": None if decision is None else decision.model_dump(mode="json"),
        "valid": problem is None,
        "code": None if problem is None else problem.code.value,
        "details": {} if problem is None else problem.details,
    }
    return Command(goto="apply_approval", update={"approval_result": result, "route": ["approval"]})


def _apply_effect(request: ApprovalRequest, decision: ApprovalDecision, ctx: GraphContext) -> dict[str, Any]:
    """Perform what the approval allows. Safe to re-run: a transition already made by this approval counts."""
    if request.kind in STRATEGY_KINDS:
        s = request.subject
        assert ctx.strategies is not None and s.strategy_id and s.to_stage
        try:
            record = ctx.strategies.transition(
                s.strategy_id, s.to_stage, actor=decision.approver, expect_stage=s.from_stage,
                expect_version=s.version, expect_params_hash=s.params_hash, approval_id=request.id,
                reason=decision.comment,
            )
        except ApprovalError:
            done = [t for t in ctx.strategies.transitions(s.strategy_id) if t.approval_id == request.id]
            if not done:
                raise
            record = ctx.strategies.get(s.strategy_id)
        assert record is not None
        return {"effect": "stage_transition", "strategy_id": record.id, "stage": record.stage,
                "version": record.version}
    effect = ctx.effects.get(request.kind)
    if effect is None and request.kind in ORDER_KINDS:
        key = (request.subject.model_extra or {}).get("decision_key")
        return {"effect": "recorded", "order_intent_hash": request.subject.order_intent_hash,
                "note": f"the {request.kind} approval is stored; place the same order again"
                        + (f" with decision_key {key!r}" if key else "") + " and the execution path sends it"}
    if effect is None:
        return {"effect": "recorded", "note": f"the {request.kind} approval is stored; the execution path reads it"}
    return {"effect": request.kind, **effect(request, decision)}


def apply_approval(state: GraphState, runtime: Runtime[GraphContext]) -> Command:
    """The side effect of a valid approval, then the outcome to the requesting agent as its tool result."""
    ctx = runtime.context or GraphContext()
    pending = state["pending_approval"] or {}
    result = state.get("approval_result") or {}
    request = _request(pending)
    decision = ApprovalDecision.model_validate(result["decision"]) if result.get("decision") else None
    update: dict[str, Any] = {"route": ["apply_approval"], "pending_approval": None, "approval_result": None}
    if decision is not None and result.get("valid") and decision.verdict == Verdict.APPROVED:
        try:
            effect = _apply_effect(request, decision, ctx)
        except ApprovalError as exc:
            result = {**result, "valid": False, "code": exc.code, "details": exc.details}
        else:
            status, content = "applied", {"status": "approved", "approval_id": request.id,
                                          "approver": decision.approver, "comment": decision.comment, **effect}
            if effect.get("effect") == "stage_transition":
                update["active_strategy"] = {"id": effect["strategy_id"], "stage": effect["stage"]}
    if decision is not None and decision.verdict == Verdict.REJECTED:
        status, content = "rejected", {"status": "rejected", "approval_id": request.id,
                                       "approver": decision.approver, "reason": decision.comment or "no reason given"}
    elif not result.get("valid"):
        status = "expired" if result.get("code") == RevalidationCode.EXPIRED.value else "invalid"
        content = {"status": "approval_invalid", "approval_id": request.id, "code": result.get("code"),
                   "details": result.get("details", {})}
    _close(ctx, request, decision, status, content)
    message = ToolMessage(content=json.dumps(content, default=str), tool_call_id=pending["tool_call_id"],
                          name=pending.get("tool", "approval"), status="success" if status == "applied" else "error")
    return Command(goto=pending["agent"], update={**update, "messages": [message]})


def _close(ctx: GraphContext, request: ApprovalRequest, decision: ApprovalDecision | None, status: str,
           content: dict[str, Any]) -> None:
    """Close the request with its audit rows in one transaction, then count it and remember it. A re-run of
    this step (after a crash) finds the request closed and writes, counts and remembers nothing again."""

    def audit_decision(connection: Any) -> None:
        _audit_decision(ctx, request, decision, status, content, connection)

    if ctx.approvals is not None:
        if not ctx.approvals.close(request.id, status, content, ctx.now(), then=audit_decision):
            return
    else:
        audit_decision(None)
    _count_and_remember(ctx, request, decision, status)


def _audit_decision(ctx: GraphContext, request: ApprovalRequest, decision: ApprovalDecision | None, status: str,
                    content: dict[str, Any], connection: Any) -> None:
    """The decision's audit row (and the stage transition it made), in ``connection``'s transaction."""
    actor = decision.approver if decision is not None else "system"
    channel = decision.channel if decision is not None else ctx.channel
    verdict = decision.verdict.value if decision is not None else None
    audit(ctx, actor, "approval_closed", f"approval:{request.id}",
          {"kind": request.kind, "verdict": verdict, "status": status,
           "comment": decision.comment if decision else None, "code": content.get("code")},
          channel=channel, connection=connection)
    if content.get("effect") == "stage_transition":
        audit(ctx, actor, "stage_transition", f"strategy:{content['strategy_id']}",
              {"from_stage": request.subject.from_stage, "to_stage": content["stage"], "approval_id": request.id,
               "version": content.get("version")}, channel=channel, connection=connection)


def _count_and_remember(ctx: GraphContext, request: ApprovalRequest, decision: ApprovalDecision | None,
                        status: str) -> None:
    """Count the decision in Prometheus and remember it, redacted, in the requester's long-term memory."""
    ctx.meter().approvals.labels(kind=request.kind, decision=status).inc()
    if ctx.memory is None:
        return
    s = request.subject
    what = s.order_intent_hash if request.kind in ORDER_KINDS else (s.strategy_id or s.limit_change_id)
    target = f" to {request.subject.to_stage}" if request.subject.to_stage else ""
    text = (f"Approval {request.id} ({request.kind}) for {what}{target}: {status}"
            + (f" by {decision.approver} via {decision.channel}" if decision else "")
            + (f"; comment: {decision.comment}" if decision and decision.comment else "") + ".")
    kind = "rejection" if status == "rejected" else "approval"
    try:
        ctx.memory.remember(request.requester, kind, redact(text), {"approval_id": request.id, "status": status})
    except (QuantpilotError, SQLAlchemyError) as exc:  # the decision stands; only the recollection is lost
        log.warning("could not remember approval %s: %s", request.id, exc)
