"""Agent threads and turns: bodies and answers of ``/api/v1/threads``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

THREAD_ID = r"^[A-Za-z0-9_.:\-]{1,64}$"

_TURN = {"thread_id": "thr_4f1c2a9b0d3e5f67", "answer": "Backtest run 12 of sma_crossover on AAPL: Sharpe 0.84 …",
         "tool_calls": [{"name": "backtest_strategy", "args": {"strategy_config": {"strategy": "sma_crossover",
                                                                                   "symbols": ["AAPL"]}}}],
         "route": ["supervisor", "strategy", "supervisor"], "pending_approval": None,
         "usage": {"tool_calls": 1, "usd": 0.0, "input_tokens": 0, "output_tokens": 0}, "stop_reason": None,
         "refusal": None, "ungrounded_numbers": [], "untrusted": []}


class ThreadCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"title": "AAPL research"}]})

    title: str = Field(default="new thread", min_length=1, max_length=200)
    thread_id: str | None = Field(default=None, pattern=THREAD_ID, description="default: a new random id")


class ThreadPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "thr_4f1c2a9b0d3e5f67", "user_id": "alice", "title": "backtest an SMA crossover on AAPL",
        "created_at": "2025-03-03T15:00:00Z", "updated_at": "2025-03-03T15:02:10Z"}]})

    id: str
    user_id: str
    title: str
    created_at: datetime
    updated_at: datetime


class ThreadListPublic(BaseModel):
    count: int
    threads: list[ThreadPublic]


class ThreadStatePublic(ThreadPublic):
    """The thread's latest checkpoint: where it stands and whether it waits for a decision."""

    message_count: int
    route: list[str]
    pending_approval: dict[str, Any] | None = Field(description="the approval request the thread waits for, if any")
    active_strategy: Any = None


class MessagePublic(BaseModel):
    role: str = Field(description="human | ai | tool | system")
    content: Any
    name: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    status: str | None = None


class ThreadHistoryPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "thread_id": "thr_4f1c2a9b0d3e5f67", "count": 2, "messages": [
            {"role": "human", "content": "backtest an SMA crossover on AAPL"},
            {"role": "ai", "content": "", "tool_calls": [{"name": "backtest_strategy", "args": {}}]}]}]})

    thread_id: str
    count: int
    messages: list[MessagePublic]


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"message": "backtest an SMA crossover on AAPL since 2024"}]})

    message: str = Field(min_length=1, max_length=8000, pattern=r"\S", description="the user's message for this "
                         "turn (some text besides spaces)")
    max_tool_calls: int = Field(default=12, ge=1, le=50)


class TurnPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_TURN]})

    thread_id: str
    answer: str
    tool_calls: list[dict[str, Any]]
    route: list[str]
    pending_approval: dict[str, Any] | None = Field(description="{id, kind} when the turn waits for a decision")
    usage: dict[str, Any]
    stop_reason: str | None = None
    refusal: dict[str, Any] | None = None
    ungrounded_numbers: list[str] = []
    untrusted: list[dict[str, Any]] = []


class InterruptAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"verdict": "approve", "comment": "walk-forward looks fine"}]})

    verdict: Literal["approve", "reject"]
    comment: str | None = Field(default=None, max_length=2000, description="required to reject")
