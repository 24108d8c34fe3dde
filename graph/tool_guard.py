"""The guardrails around every tool call the graph runs, whatever the model asked for.

In order: ``authorize`` (the allow-list of ``guardrails.authorization`` for this agent and the
user's role: a denied call never runs), ``run_tool`` (timed into Prometheus, scoped to the
thread's user), ``redact_value`` on the result (secrets never reach state or checkpoints), then
``shield`` (every string of the result is screened for injected instructions; a suspicious one is
neutralised, wrapped as untrusted data and flagged), and ``audit_order_call`` for tools that
place orders (the outcome, refusals included, is appended to the audit log).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, ToolException
from pydantic import BaseModel, ValidationError

from errors import ConfigError, QuantpilotError
from graph.context import GraphContext
from guardrails.authorization import POLICY, Denied, ToolPolicy, authorize_tool_call
from guardrails.injection import neutralise, screen, wrap_untrusted
from guardrails.redaction import RedactingFilter
from memory.models.audit import AUDIT_CHANNELS
from tools.typed_tool import SCOPE_KEY

log = logging.getLogger("quantpilot.graph.tools")
log.addFilter(RedactingFilter())

UNTRUSTED_MARK = "<<UNTRUSTED_DATA"


def authorize(agent: str, tool_name: str, role: Any, policy: Mapping[str, ToolPolicy] | None) -> dict | None:
    """None when allowed; otherwise the refusal payload (``status: refused`` and the denial code)."""
    try:
        decision = authorize_tool_call(agent, tool_name, role or "viewer", dict(policy or POLICY))
    except ConfigError as exc:  # an unknown role is no role: fail closed
        return {"status": "refused", "tool": tool_name, "code": "unknown_role", "codes": ["unknown_role"],
                "message": exc.message, "details": exc.details}
    if isinstance(decision, Denied):
        return {"status": "refused", "tool": tool_name, "code": decision.code.value, "codes": [decision.code.value],
                "message": decision.reason, "details": decision.details}
    return None


def _payload(output: Any) -> Any:
    if isinstance(output, BaseModel):
        return output.model_dump(mode="json")
    if isinstance(output, str):
        try:
            return json.loads(output)
        except ValueError:
            return output
    return output


def outcome_of(payload: Any, ok: bool) -> str:
    """The metric label of a call's outcome: ok, error, refused, unavailable, approval_required."""
    if not ok:
        return "error"
    status = payload.get("status") if isinstance(payload, dict) else None
    return status if status in ("refused", "unavailable", "approval_required", "error") else "ok"


def run_tool(tool: BaseTool, args: dict[str, Any], scope: dict[str, Any], config: RunnableConfig | None,
             ctx: GraphContext) -> tuple[Any, bool]:
    """(payload, ok), timed as one tool call. Argument errors and deliberate service errors become payloads."""
    started = time.perf_counter()
    configurable = {**((config or {}).get("configurable") or {}), SCOPE_KEY: scope}
    try:
        payload, ok = _payload(tool.invoke(args, config={"configurable": configurable})), True
    except (ValidationError, ToolException, QuantpilotError, ValueError, TypeError) as exc:
        code = getattr(exc, "code", exc.__class__.__name__)
        payload, ok = {"status": "error", "tool": tool.name, "code": code, "message": _message(exc)}, False
    ctx.meter().tool_latency.labels(tool=tool.name, outcome=outcome_of(payload, ok)).observe(
        time.perf_counter() - started)
    log.info("tool %s by %s: %s", tool.name, scope.get("user"), outcome_of(payload, ok))
    return payload, ok


def _message(exc: Exception) -> str:
    """An argument error as ``field: problem`` (as the API's 422 writes it), not pydantic's multi-line dump."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors()[:3])
    return str(exc)


def observe_refused(tool_name: str, ctx: GraphContext) -> None:
    """A call refused before it ran still counts as a call (latency 0, outcome ``refused``)."""
    ctx.meter().tool_latency.labels(tool=tool_name, outcome="refused").observe(0.0)


def _shield(value: Any, path: str, source: str, found: dict[str, list[str]]) -> Any:
    if isinstance(value, str):
        if value.startswith(UNTRUSTED_MARK):
            return value  # wrapped by the tool already (it flags what it found itself)
        verdict = screen(value)
        if not verdict.suspicious:
            return value
        found[path or "result"] = list(verdict.patterns)
        return wrap_untrusted(f"{source}:{path}", neutralise(value))
    if isinstance(value, dict):
        return {k: _shield(v, f"{path}.{k}" if path else str(k), source, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_shield(v, f"{path}[{i}]", source, found) for i, v in enumerate(value)]
    return value


def shield(tool_name: str, payload: Any) -> tuple[Any, dict[str, Any] | None]:
    """``payload`` with every suspicious string neutralised and wrapped; the flag (fields, patterns) or None."""
    found: dict[str, list[str]] = {}
    shielded = _shield(payload, "", f"tool:{tool_name}", found)
    if isinstance(payload, dict) and payload.get("suspicious") and payload.get("patterns"):
        found.setdefault("headlines", list(payload["patterns"]))
    if not found:
        return shielded, None
    flag = {"tool": tool_name, "fields": sorted(found),
            "patterns": sorted({p for patterns in found.values() for p in patterns})}
    if isinstance(shielded, dict):
        shielded = {**shielded, "untrusted": {"suspicious": True, **{k: flag[k] for k in ("fields", "patterns")}}}
    return shielded, flag


def audit_channel(channel: str | None) -> str:
    return channel if channel in AUDIT_CHANNELS else "graph"


def audit(ctx: GraphContext, actor: str, action: str, subject: str, payload: dict[str, Any],
          channel: str | None = None, connection: Any = None) -> None:
    """Append to the audit log when the run has one (``AuditLog.append`` redacts the payload itself); with
    ``connection``, inside that transaction."""
    if ctx.audit is not None:
        ctx.audit.append(actor or "anonymous", audit_channel(channel or ctx.channel), action, subject, payload,
                         connection=connection)


def audit_order_call(ctx: GraphContext, policy: Mapping[str, ToolPolicy] | None, tool_name: str, args: dict,
                     payload: Any, actor: str, agent: str) -> None:
    """Record the outcome of an order-placing call (placed, refused with codes, approval required)."""
    rule = (policy or POLICY).get(tool_name)
    if rule is None or not rule.places_orders:
        return
    status = payload.get("status") if isinstance(payload, dict) else "error"
    codes = list(payload.get("codes") or ([payload["code"]] if payload.get("code") else [])) \
        if isinstance(payload, dict) else []
    for code in codes if status in ("refused", "error") else []:
        ctx.meter().rejections.labels(code=str(code)).inc()
    action = {"ok": "order_submitted", "approval_required": "order_approval_required"}.get(status, "order_refused")
    audit(ctx, actor, action, f"tool:{tool_name}", {"agent": agent, "args": args, "status": status, "codes": codes})
