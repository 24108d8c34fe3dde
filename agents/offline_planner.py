"""``OfflinePlanner``: the embedded default chat model — a deterministic rule-based planner, not an LLM.

It turns a plain request into the tool calls a model would make (only calls to tools bound to it,
``agents.understanding``), and after tool results answers through the answer writer (``agents.answers``),
which quotes numbers only from those results. No key, no network; the same input always gives the same output,
so the product runs and is tested offline.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool

from agents.answers import turn_outcomes, write_answer
from agents.capabilities import not_understood_text
from agents.specs import CONTEXT_PREFIX
from agents.understanding import Plan, PlanRefusal, Reply, plan_request

NAME = "offline planner"


class OfflinePlanner(BaseChatModel):
    """Deterministic planner with the chat-model interface (``bind_tools``, ``invoke``, tool calls)."""

    model_name: str = "offline-planner"

    @property
    def _llm_type(self) -> str:
        return "offline-planner"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name}

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any):
        """Bind tools: the planner will only ever call these (by name)."""
        return self.bind(tools=[convert_to_openai_tool(tool) for tool in tools], **kwargs)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        bound = [t["function"]["name"] for t in kwargs.get("tools") or []]
        message = respond(messages, bound)
        words = sum(len(str(m.content).split()) for m in messages)
        message.usage_metadata = {"input_tokens": words, "output_tokens": len(str(message.content).split()),
                                  "total_tokens": words + len(str(message.content).split())}
        message.response_metadata = {"model_name": self.model_name}
        return ChatResult(generations=[ChatGeneration(message=message)])


def respond(messages: Sequence[BaseMessage], bound: Sequence[str]) -> AIMessage:
    """The planner's next message given the conversation and the names of the bound tools."""
    last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=None)
    if last_human is None:
        return AIMessage(content=not_understood_text(""))
    if any(isinstance(m, ToolMessage) for m in messages[last_human + 1:]):
        return AIMessage(content=write_answer(turn_outcomes(messages)))
    text = str(messages[last_human].content)
    plan = plan_request(text, thread_context(messages))
    if isinstance(plan, PlanRefusal):
        return AIMessage(content=f"I can't do that: {plan.message}.",
                         additional_kwargs={"refusal": {"code": plan.code, "message": plan.message,
                                                        "details": plan.details}})
    if isinstance(plan, Reply):
        return AIMessage(content=plan.text, additional_kwargs={"planner": {"understood": True, "reply": plan.kind}})
    if plan is None:
        return AIMessage(content=not_understood_text(text), additional_kwargs={"planner": {"understood": False}})
    return _calls(plan, bound, text)


def thread_context(messages: Sequence[BaseMessage]) -> dict[str, Any]:
    """The graph's thread context (last ``Thread context: {json}`` line of a system message), or {}."""
    for message in reversed(messages):
        if not isinstance(message, SystemMessage) or not isinstance(message.content, str):
            continue
        for line in message.content.splitlines():
            if line.startswith(CONTEXT_PREFIX):
                try:
                    value = json.loads(line[len(CONTEXT_PREFIX):])
                except ValueError:
                    return {}
                return value if isinstance(value, dict) else {}
    return {}


def _calls(plan: Plan, bound: Sequence[str], text: str) -> AIMessage:
    needed = [call.name for call in plan.calls]
    planned = {"planner": {"understood": True, "tools": needed}}
    missing = sorted(set(needed) - set(bound))
    if missing:
        return AIMessage(content=f"That needs {', '.join(missing)}, which this agent does not have; ask again and "
                                 "the request goes to the agent that does.", additional_kwargs=planned)
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    calls = [{"name": c.name, "args": c.args, "id": f"call_{digest}_{i}", "type": "tool_call"}
             for i, c in enumerate(plan.calls)]
    return AIMessage(content="", tool_calls=calls, additional_kwargs=planned)
