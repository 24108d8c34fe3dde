"""Scripted stand-ins for the boundaries the graph talks to: a chat model that answers by rule, and
small real tools. No network, no LLM: every reply is decided by the script."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import BaseTool, StructuredTool

from graph.agent_spec import AGENT_NAMES, AgentSpec
from graph.build import build_graph
from guardrails.authorization import POLICY, ToolPolicy
from guardrails.policy import Operation

_ids = itertools.count(1)


def call(name: str, **args: Any) -> dict[str, Any]:
    return {"name": name, "args": args, "id": f"call_{next(_ids)}", "type": "tool_call"}


class ScriptedChatModel(BaseChatModel):
    """Replies with ``respond(messages)``: a pure function of the conversation so far."""

    respond: Callable[[list[BaseMessage]], AIMessage]

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.respond(list(messages)))])


def turn_messages(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """The messages since the last human message (this turn)."""
    last_human = max(i for i, m in enumerate(messages) if isinstance(m, HumanMessage))
    return list(messages[last_human + 1 :])


def calls_then_answer(*planned: Sequence[dict[str, Any]], tokens: int = 0) -> ScriptedChatModel:
    """Make one round of tool calls per entry in ``planned``, then answer with the last tool result."""

    mine = {c["name"] for calls in planned for c in calls}  # rounds are counted on this model's own calls

    def respond(messages: list[BaseMessage]) -> AIMessage:
        rounds = sum(1 for m in turn_messages(messages)
                     if isinstance(m, AIMessage) and m.tool_calls and {c["name"] for c in m.tool_calls} <= mine)
        usage = {"input_tokens": tokens, "output_tokens": 0, "total_tokens": tokens} if tokens else None
        if rounds < len(planned):
            calls = [dict(c, id=f"call_{next(_ids)}") for c in planned[rounds]]
            return AIMessage(content="", tool_calls=calls, usage_metadata=usage)
        results = [m for m in turn_messages(messages) if isinstance(m, ToolMessage)]
        text = f"answer: {results[-1].content}" if results else "answer: nothing to do"
        return AIMessage(content=text, usage_metadata=usage)

    return ScriptedChatModel(respond=respond)


def echo_tool(name: str) -> BaseTool:
    """A real tool that returns what it was asked, tagged with its own name."""

    def run(text: str = "") -> dict[str, Any]:
        return {"status": "ok", "tool": name, "echo": text}

    return StructuredTool.from_function(run, name=name, description=f"echo tool {name}")


def approval_tool(name: str, kind: str, subject: dict[str, Any], evidence: dict[str, Any]) -> BaseTool:
    """A tool that asks for an approval, shaped like tools.results.ApprovalRequired."""

    def run(note: str = "") -> dict[str, Any]:
        return {"status": "approval_required", "kind": kind, "subject": subject, "evidence": evidence,
                "requested_by": "tool", "reason": note or f"please approve {kind}"}

    return StructuredTool.from_function(run, name=name, description=f"request a {kind} approval")


def agents_with(models: dict[str, BaseChatModel] | None = None, tools: dict[str, list[BaseTool]] | None = None
                ) -> dict[str, AgentSpec]:
    """All five agents; each gets ``<agent>_lookup`` unless tools are given, and a model answering directly."""
    models, tools = models or {}, tools or {}
    return {
        name: AgentSpec(
            name=name, system_prompt=f"You are the {name} agent.", prompt_version="test-1",
            tools=tools.get(name, [echo_tool(f"{name}_lookup")]),
            model=models.get(name, calls_then_answer([call(f"{name}_lookup", text=name)])),
        )
        for name in AGENT_NAMES
    }


def tool_payloads(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    return [json.loads(m.content) for m in messages if isinstance(m, ToolMessage)]


# The production allow-list plus one read-only echo tool per agent (``<agent>_lookup``).
SCRIPTED_POLICY: dict[str, ToolPolicy] = {
    **POLICY, **{f"{name}_lookup": ToolPolicy(Operation.READ_MARKET_DATA, frozenset({name})) for name in AGENT_NAMES}}


def scripted_graph(agents, **kwargs: Any):
    """``build_graph`` authorising the scripted echo tools too (everything else as in production)."""
    return build_graph(agents, tool_policy=kwargs.pop("tool_policy", SCRIPTED_POLICY), **kwargs)
