"""quantpilot's tools over the Model Context Protocol (official ``mcp`` package, lowlevel ``Server``).

An MCP client gets the same tools the agents have and the same guardrails the graph puts around them:
each call is checked by ``authorize_tool_call`` as the tool's owning agent acting for the caller's role
(so operator-only actions are never reachable), runs scoped to the caller, has secrets redacted and
injected text neutralised, and order-placing calls are audited (channel ``mcp``). ``place_order`` goes
through the paper ``ExecutionService``: without a stored approval it is refused, nothing is sent.

The caller is an API user: ``QUANTPILOT_API_KEY`` for stdio (checked once at start), ``Authorization:
Bearer KEY`` on every streamable-HTTP request (401 otherwise).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mcp_types as types
from mcp.server import Server

from errors import ConfigError, QuotaExceeded
from graph.context import GraphContext
from graph.tool_guard import audit_order_call, authorize, observe_refused, run_tool, shield
from guardrails.authorization import POLICY
from guardrails.policy import Actor, Channel, Role
from guardrails.redaction import redact_value
from services.quotas import TurnLease, UsageQuotas

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool
    from starlette.types import ASGIApp, Receive, Scope, Send

    from api.security import RequestLimiter
    from config import Settings
    from memory.db import Database
    from memory.users import UserStore

CHANNEL = "mcp"
API_KEY_ENV = "QUANTPILOT_API_KEY"
CALLER_KEY = "quantpilot_mcp_caller"  # where the HTTP gate leaves the caller in the ASGI scope state


@dataclass(frozen=True)
class McpCaller:
    """The API user behind an MCP connection (stdio) or request (HTTP)."""

    name: str
    role: str
    user_id: int | None = None

    def scope(self) -> dict[str, Any]:
        """What the tools act for: this person, through channel ``mcp``."""
        return {"user": self.name, "role": self.role, "user_id": self.user_id, "channel": CHANNEL}


def caller_from_key(store: UserStore, api_key: str | None) -> McpCaller | None:
    """The active user holding ``api_key``, or None."""
    user = store.authenticate(api_key) if api_key else None
    return None if user is None else McpCaller(user.name, user.role.value, user.id)


class McpToolbox:
    """Every distinct tool by name, its owning agent, and the guarded call path."""

    def __init__(self, tools_by_agent: Mapping[str, list[BaseTool]], guard: GraphContext,
                 quotas: UsageQuotas | None = None):
        self.quotas = quotas  # a tool call counts as one of the caller's running turns (services.quotas)
        self.tools: dict[str, BaseTool] = {}
        self.owner: dict[str, str] = {}
        for agent, tools in tools_by_agent.items():
            for tool in tools:
                self.tools.setdefault(tool.name, tool)
                self.owner.setdefault(tool.name, agent)
        self.guard = guard

    def visible(self, caller: McpCaller) -> list[BaseTool]:
        """The tools ``caller``'s role may call, by name."""
        return [t for name, t in sorted(self.tools.items())
                if authorize(self.owner[name], name, caller.role, POLICY) is None]

    def call(self, caller: McpCaller, name: str, args: dict[str, Any]) -> tuple[Any, bool]:
        """``(payload, ok)``: refused payloads for unknown or unauthorised tools; approval_required is not ok."""
        if name not in self.tools:
            return {"status": "refused", "tool": name, "code": "unknown_tool",
                    "message": f"no tool named {name!r}"}, False
        agent = self.owner[name]
        refused = authorize(agent, name, caller.role, POLICY)
        if refused is not None:
            observe_refused(name, self.guard)
            audit_order_call(self.guard, POLICY, name, args, refused, caller.name, agent)
            return refused, False
        try:
            with self._turn(caller):
                payload, ok = run_tool(self.tools[name], args, caller.scope(), None, self.guard)
        except QuotaExceeded as exc:
            return {"status": "refused", "tool": name, "code": exc.code, "message": exc.message,
                    "retry_after_s": exc.retry_after_s}, False
        payload = redact_value(payload)
        audit_order_call(self.guard, POLICY, name, args, payload, caller.name, agent)
        if isinstance(payload, dict) and payload.get("status") == "approval_required":
            payload = {**payload, "message": _approval_needed(str(payload.get("kind") or ""))}
            ok = False
        elif isinstance(payload, dict) and payload.get("status") in ("refused", "error", "unavailable"):
            ok = False
        payload, _ = shield(name, payload)
        return payload, ok


    def _turn(self, caller: McpCaller) -> TurnLease:
        if self.quotas is None or caller.user_id is None:
            return TurnLease(None, None)
        return self.quotas.start_turn(Actor(caller.user_id, caller.name, Role.parse(caller.role), Channel.MCP))


def _approval_needed(kind: str) -> str:
    """What an MCP caller reads when a tool needs a human approval first (MCP cannot wait for one)."""
    if kind.endswith("order"):
        return "a human approval is required before this order can be placed; nothing was sent. Ask for it through " \
               "the quantpilot chat."
    if kind == "risk_limit":
        return "a risk-limit change needs another person's approval; nothing was changed. Ask for it through the " \
               "quantpilot chat or `quantpilot risk propose --set LIMIT=VALUE --reason …`."
    return "a human approval is required first; nothing was changed. Ask for it through the quantpilot chat."


def _tool_schema(tool: BaseTool) -> types.Tool:
    schema = tool.args_schema.model_json_schema() if tool.args_schema is not None else {"type": "object"}
    rule = POLICY.get(tool.name)
    read_only = rule is not None and rule.min_role.value == "viewer" and not rule.places_orders
    return types.Tool(name=tool.name, description=tool.description, input_schema=schema,
                      annotations=types.ToolAnnotations(read_only_hint=read_only,
                                                        destructive_hint=bool(rule and rule.places_orders)))


def _caller_of(ctx: Any, fixed: McpCaller | None) -> McpCaller | None:
    request = getattr(ctx, "request", None)
    if request is not None:
        return (getattr(request, "scope", None) or {}).get("state", {}).get(CALLER_KEY)
    return fixed


def build_mcp_server(toolbox: McpToolbox, caller: McpCaller | None = None) -> Server:
    """The lowlevel MCP server. ``caller`` is the stdio/in-memory caller; over HTTP each request carries its own."""

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        who = _caller_of(ctx, caller)
        return types.ListToolsResult(tools=[_tool_schema(t) for t in toolbox.visible(who)] if who else [])

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        from starlette.concurrency import run_in_threadpool

        who = _caller_of(ctx, caller)
        if who is None:
            payload, ok = {"status": "refused", "code": "unauthenticated", "message": "no API key"}, False
        else:
            payload, ok = await run_in_threadpool(toolbox.call, who, params.name, dict(params.arguments or {}))
        payload = redact_value(payload)  # every answer, refusals too, may echo what the caller sent
        text = json.dumps(payload, default=str)
        return types.CallToolResult(content=[types.TextContent(text=text)],
                                    structured_content=payload if isinstance(payload, dict) else None,
                                    is_error=not ok)

    return Server("quantpilot", version="1", instructions=(
        "quantpilot's research, risk, execution and monitoring tools. Orders need a stored human approval; "
        "a refused call says why (status, code, message)."), on_list_tools=list_tools, on_call_tool=call_tool)


def product_toolbox(settings: Settings, database: Database) -> McpToolbox:
    """The tools on the configured database, with the paper execution path behind ``place_order``."""
    from memory.audit import AuditLog
    from services.execution_path import execution_service
    from tools import ToolContext, build_tools

    gateway = execution_service(database, settings)
    ctx = ToolContext(settings=settings, database=database, broker=gateway.broker, order_gateway=gateway,
                      trading_state=gateway.book_states(), user="mcp", role="viewer")
    return McpToolbox(build_tools(ctx), GraphContext(audit=AuditLog(database), channel=CHANNEL),
                      UsageQuotas(database, settings))


class BearerGate:
    """ASGI: 401 unless ``Authorization: Bearer KEY`` names an active API user; the caller goes into scope state.
    With a ``limiter`` (``api.security.RequestLimiter``, the API's settings): failed keys are counted per client
    address and requests per user, 429 with ``Retry-After`` over either limit."""

    def __init__(self, app: ASGIApp, authenticate: Callable[[str | None], McpCaller | None],
                 limiter: RequestLimiter | None = None):
        self.app, self._authenticate, self._limiter = app, authenticate, limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette.concurrency import run_in_threadpool
        from starlette.exceptions import HTTPException

        header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
        key = header[7:].strip() if header.lower().startswith("bearer ") else None
        caller = await run_in_threadpool(self._authenticate, key) if key else None
        try:
            if self._limiter is not None and caller is None:
                self._limiter.hit_failure((scope.get("client") or ("unknown",))[0])
            elif self._limiter is not None:
                self._limiter.hit_user(caller.user_id if caller.user_id is not None else caller.name)
        except HTTPException as refused:
            body = json.dumps({"error": {"code": "rate_limited", "message": str(refused.detail)}})
            await send({"type": "http.response.start", "status": 429, "headers": [
                (b"content-type", b"application/json"),
                *((k.lower().encode(), v.encode()) for k, v in (refused.headers or {}).items())]})
            await send({"type": "http.response.body", "body": body.encode()})
            return
        if caller is None:
            body = json.dumps({"error": {"code": "unauthorized", "message": "send Authorization: Bearer <API key>"}})
            await send({"type": "http.response.start", "status": 401, "headers": [
                (b"content-type", b"application/json"), (b"www-authenticate", b'Bearer realm="quantpilot"')]})
            await send({"type": "http.response.body", "body": body.encode()})
            return
        await self.app({**scope, "state": {**(scope.get("state") or {}), CALLER_KEY: caller}}, receive, send)


def stdio_caller(store: UserStore) -> McpCaller:
    """The caller of a stdio server from ``QUANTPILOT_API_KEY``; ConfigError when missing or invalid."""
    caller = caller_from_key(store, os.environ.get(API_KEY_ENV))
    if caller is None:
        raise ConfigError(f"{API_KEY_ENV} is missing, malformed or revoked: set it to a quantpilot API key "
                          "(`quantpilot users add NAME --role ROLE`)", code="unauthenticated")
    return caller
