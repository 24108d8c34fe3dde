"""``OfflinePlanner``: the embedded default chat model — a deterministic rule-based planner, not an LLM.

It turns a plain request into the tool calls a model would make (only calls to tools bound to it),
and after tool results writes a short answer that quotes numbers only from those results. No key,
no network; the same input always gives the same output, so the product runs and is tested offline.
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

from agents.planner_intents import EXAMPLES, Plan, PlanRefusal, plan_request
from agents.specs import CONTEXT_PREFIX

NAME = "offline planner"
MAX_FACTS_PER_RESULT = 12
MAX_INLINE_ITEMS = 6  # a list of up to this many plain values is written out ("[AAPL, MSFT]")
# Sections whose numbers answer the question (a run's metrics, the book's exposure, the overfitting
# verdict): their facts come first, after the ids that name what was run.
_HEADLINE_SECTIONS = frozenset({"metrics", "exposure", "overfitting", "oos_metrics", "aggregate"})
_ID_KEYS = frozenset({"run_id", "approval_id", "order_id", "client_order_id", "strategy_id", "verdict"})
# Figures people look for first, in this order, wherever they sit (a compare lists each run's Sharpe first).
_METRICS = ("sharpe", "total_return", "max_drawdown", "cagr", "sortino", "win_rate", "trade_count", "profit_factor",
            "oos_sharpe", "pbo", "deflated_sharpe_p", "expected_annual_return", "annual_volatility")


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
        return AIMessage(content=f"{NAME}: ask me something. {_capabilities(bound)}")
    results = [m for m in messages[last_human + 1:] if isinstance(m, ToolMessage)]
    if results:
        return AIMessage(content=_answer(results))
    text = str(messages[last_human].content)
    plan = plan_request(text, thread_context(messages))
    if isinstance(plan, PlanRefusal):
        return AIMessage(content=f"{NAME}: refused ({plan.code}) — {plan.message}.",
                         additional_kwargs={"refusal": {"code": plan.code, "message": plan.message,
                                                        "details": plan.details}})
    if plan is None:
        return AIMessage(content=f"{NAME}: I did not understand that request. {_capabilities(bound)}",
                         additional_kwargs={"planner": {"understood": False}})
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
        return AIMessage(content=f"{NAME}: that needs the tool(s) {', '.join(missing)}, which are not available "
                                 "to this agent.", additional_kwargs=planned)
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    calls = [{"name": c.name, "args": c.args, "id": f"call_{digest}_{i}", "type": "tool_call"}
             for i, c in enumerate(plan.calls)]
    return AIMessage(content="", tool_calls=calls, additional_kwargs=planned)


def _answer(results: Sequence[ToolMessage]) -> str:
    lines = [f"{NAME} — results:"]
    for message in results:
        data = _parse(message.content)
        name = message.name or "tool"
        if not isinstance(data, dict):
            lines.append(f"- {name}: {str(data)[:300]}")
            continue
        status = data.get("status", "ok")
        facts = ", ".join(f"{k}={_shown(v)}" for k, v in _ranked(_facts(data))[:MAX_FACTS_PER_RESULT])
        lines.append(f"- {name}: {status}" + (f"; {facts}" if facts else ""))
    return "\n".join(lines)


def _facts(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Scalar fields of a result, flattened (``summary.x``), in the result's own order."""
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        if key in ("status", "tool"):
            continue
        if isinstance(value, dict):
            out.extend(_facts(value, f"{prefix}{key}."))
        elif isinstance(value, str | int | float | bool) or value is None:
            out.append((f"{prefix}{key}", value))
        elif isinstance(value, list) and len(value) <= MAX_INLINE_ITEMS and all(isinstance(v, dict) for v in value):
            for i, item in enumerate(value):  # a few records (runs of a compare): each one's facts
                out.extend(_facts(item, f"{prefix}{key}[{i}]."))
        elif isinstance(value, list):
            plain = all(isinstance(v, str | int | float | bool) for v in value) and len(value) <= MAX_INLINE_ITEMS
            out.append((f"{prefix}{key}", "[" + ", ".join(_shown(v) for v in value) + "]" if plain
                        else f"[{len(value)} items]"))
    return out


def _ranked(facts: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Ids first; then the well-known metrics (in ``_METRICS`` order) and the rest of the headline sections;
    then everything else. Ties keep the result's own order."""
    def rank(fact: tuple[str, Any]) -> tuple[int, int]:
        path = fact[0].split(".")
        name, sections = path[-1], {p.split("[")[0] for p in path[:-1]}
        if name in _ID_KEYS:
            return 0, 0
        if name in _METRICS:
            return 1, _METRICS.index(name)
        return (1, len(_METRICS)) if _HEADLINE_SECTIONS & sections else (2, 0)

    return sorted(facts, key=rank)


def _shown(value: Any) -> str:
    """A value as written in the answer: floats to 4 decimals (4 significant digits below 1), trailing zeros
    dropped, so each figure is still the tool's own number rounded (what the output check accepts)."""
    if isinstance(value, bool) or not isinstance(value, float):
        return str(value)
    if value != value or value in (float("inf"), float("-inf")) or value == 0 or abs(value) < 1e-4:
        return repr(value)
    text = f"{value:.4f}" if abs(value) >= 1 else f"{value:.4g}"
    return text.rstrip("0").rstrip(".") if "." in text and "e" not in text else text


def _parse(content: Any) -> Any:
    if isinstance(content, dict | list):
        return content
    try:
        return json.loads(content)
    except (TypeError, ValueError):
        return content


def _capabilities(bound: Sequence[str]) -> str:
    names = [n for n in EXAMPLES if n in bound] if bound else list(EXAMPLES)
    examples = "; ".join(f'"{EXAMPLES[n]}"' for n in names)
    return f"I can: {examples}." if names else "No tools are available to me here."
