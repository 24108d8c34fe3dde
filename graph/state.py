"""The graph state: a TypedDict whose channels merge through reducers.

Everything here is JSON-ready (dicts, strings, numbers, LangChain messages) so the Postgres
checkpointer stores it without custom serialisers. Run-scoped collaborators (stores, clock, the
live-trading switch) are never state: they come in through ``graph.context.GraphContext``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages


class UserRef(TypedDict, total=False):
    id: str  # the user's name
    role: str
    user_id: int | None  # the stored user's id (None for quantpilot's own runs and scripted tests)


class ActiveStrategy(TypedDict):
    id: str
    stage: str


class Budget(TypedDict, total=False):
    """Per-turn spend and its limits (reset at each turn). Model dollars and tokens are copied from the usage
    ledger after each model call (the ledger decides; this is what the state shows); ``corrections_used``
    counts the times the model was told its tool call was malformed."""

    tool_calls_used: int
    usd_used: float
    max_tool_calls: int
    max_usd: float
    tokens_used: int
    max_tokens: int
    model_calls: int
    corrections_used: int


def new_budget(max_tool_calls: int = 12, max_usd: float = 0.50, max_tokens: int = 0) -> Budget:
    return Budget(tool_calls_used=0, usd_used=0.0, max_tool_calls=max_tool_calls, max_usd=max_usd, tokens_used=0,
                  max_tokens=max_tokens, model_calls=0, corrections_used=0)


def merge_by_id(left: Sequence[Mapping[str, Any]] | None, right: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None
                ) -> list[dict[str, Any]]:
    """Merge records by their ``id`` like ``add_messages``: a record with a known id replaces it in place
    (fields merged, newer wins), a new id is appended. Records without an id are refused."""
    merged = [dict(item) for item in (left or [])]
    incoming = [right] if isinstance(right, Mapping) else list(right or [])
    index = {item["id"]: i for i, item in enumerate(merged)}
    for item in incoming:
        if "id" not in item:
            raise ValueError(f"a proposal/order record needs an 'id': {dict(item)!r}")
        if item["id"] in index:
            merged[index[item["id"]]] = {**merged[index[item["id"]]], **item}
        else:
            index[item["id"]] = len(merged)
            merged.append(dict(item))
    return merged


def append_route(left: list[str] | None, right: list[str] | str | None) -> list[str]:
    """The nodes visited, in order, across the whole thread."""
    return [*(left or []), *([right] if isinstance(right, str) else (right or []))]


def turn_list(left: list[dict[str, Any]] | None, right: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Items collected during a turn: appended; ``None`` (sent by the runner at each new turn) empties it."""
    return [] if right is None else [*(left or []), *right]


class GraphState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    user: UserRef
    active_strategy: ActiveStrategy | None
    pending_approval: dict[str, Any] | None  # ApprovalRequest (JSON) + agent + tool_call_id while waiting
    approval_result: dict[str, Any] | None  # what the approval node concluded, read by the apply node
    route: Annotated[list[str], append_route]
    budget: Budget
    proposals: Annotated[list[dict[str, Any]], merge_by_id]
    orders: Annotated[list[dict[str, Any]], merge_by_id]
    next_agent: str | None  # set by the supervisor (or a hand-off) for the next hop
    hops: int  # agent hops in this turn (reset each turn), caps hand-off ping-pong
    stop_reason: str | None  # set when the turn was stopped (budget, hop limit, unsafe request)
    refusal: dict[str, Any] | None  # {status: refused, kind, message} when the request itself was refused
    ungrounded_numbers: list[str]  # numbers in this turn's answer no tool result supports
    untrusted_flags: Annotated[list[dict[str, Any]], turn_list]  # injection findings in this turn's tool results
    recollections: list[dict[str, Any]]  # long-term memories recalled for this turn (kind, score, text)
    thread_context: dict[str, Any]  # what later requests may refer to ("it"): the last run, order and call
    read_only: bool  # a side turn beside a waiting approval (graph.side_turn): tools that change state are refused
    turn_id: str  # this turn's id on the usage ledger (a resumed approval keeps its turn's id)
    preplanned: bool  # this turn's tool calls were planned without a model (the model only writes the answer)
    model_error: dict[str, Any] | None  # {code, message, details} when a model-server failure ended the turn
