"""What a turn yields: typed events as it runs and the ``TurnResult`` it ends with, and the turn's figures
(``turn_usage``) and model-server failure (``model_error``) as read back from its state."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from errors import ModelServerError, ModelTimeoutError
from graph.context import GraphContext


@dataclass(frozen=True)
class TurnResult:
    """What one turn produced. ``pending_approval`` is ``{id, kind}`` when the turn waits for a decision."""

    thread_id: str
    answer: str
    tool_calls: list[dict[str, Any]]
    route: list[str]
    pending_approval: dict[str, Any] | None
    usage: dict[str, Any]
    stop_reason: str | None = None
    refusal: dict[str, Any] | None = None  # {status: refused, kind, message}: the request itself was refused
    ungrounded_numbers: list[str] = field(default_factory=list)  # answer numbers no tool result supports
    untrusted: list[dict[str, Any]] = field(default_factory=list)  # injection findings in tool results

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StepEvent:
    node: str
    kind: str = field(default="step", init=False)


@dataclass(frozen=True)
class ToolCallEvent:
    agent: str
    name: str
    args: dict[str, Any]
    kind: str = field(default="tool_call", init=False)


@dataclass(frozen=True)
class ToolResultEvent:
    agent: str
    name: str
    ok: bool
    content: Any
    kind: str = field(default="tool_result", init=False)


@dataclass(frozen=True)
class TokenEvent:
    node: str
    text: str
    kind: str = field(default="token", init=False)


@dataclass(frozen=True)
class InterruptEvent:
    approval: dict[str, Any]  # the ApprovalRequest as JSON
    kind: str = field(default="interrupt", init=False)


@dataclass(frozen=True)
class FinalEvent:
    result: TurnResult
    kind: str = field(default="final", init=False)


TurnEvent = StepEvent | ToolCallEvent | ToolResultEvent | TokenEvent | InterruptEvent | FinalEvent


def model_error(failure: dict[str, Any]) -> ModelServerError:
    """The ``ModelServerError`` a turn ended with, rebuilt from the state (its type, code and one line)."""
    kind = ModelTimeoutError if failure.get("type") == ModelTimeoutError.__name__ else ModelServerError
    return kind(str(failure.get("message") or "the model server failed"), code=failure.get("code"),
                details=dict(failure.get("details") or {}))


def turn_usage(values: dict[str, Any], context: GraphContext) -> dict[str, Any]:
    """The turn's figures: tool calls from the state's budget, model calls, tokens, dollars and model latency
    from the usage ledger (a resumed approval adds to the turn it belongs to)."""
    budget = values.get("budget") or {}
    turn_id = values.get("turn_id")
    sums = context.usage.turn(turn_id) if turn_id else None
    return {
        "turn_id": turn_id,
        "tool_calls": budget.get("tool_calls_used", 0),
        "model_calls": sums.calls if sums else 0,
        "input_tokens": sums.input_tokens if sums else 0,
        "output_tokens": sums.output_tokens if sums else 0,
        "usd": float(sums.cost_usd) if sums else 0.0,
        "priced": not (sums and sums.unpriced_calls),
        "model_latency_ms": sums.latency_ms if sums else 0,
    }
