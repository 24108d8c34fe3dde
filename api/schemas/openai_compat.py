"""The subset of OpenAI's Chat Completions API that quantpilot serves (``POST /v1/chat/completions``).

Unknown OpenAI fields (temperature, top_p, tools, …) are accepted and ignored: the agent graph, not
the client, decides which model and tools run.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MODEL = "quantpilot"


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message's text; for content parts, the ``text`` parts joined by newlines."""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(str(p.get("text", "")) for p in self.content or [] if p.get("type") == "text")


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "model": "quantpilot", "messages": [{"role": "user", "content": "backtest an SMA crossover on AAPL"}],
        "stream": False, "user": "alice-laptop"}]})

    model: str = Field(description='must be "quantpilot"')
    messages: list[ChatMessage] = Field(min_length=1, max_length=500)
    stream: bool = False
    user: str | None = Field(default=None, max_length=128,
                             description="a stable id of the conversation partner; the same value continues "
                                         "the same thread (unless X-Quantpilot-Thread names one)")


class ChatChoice(BaseModel):
    index: int = 0
    message: dict[str, Any]
    finish_reason: str


class ChatCompletion(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "chatcmpl-3b9f1c", "object": "chat.completion", "created": 1741014000, "model": "quantpilot",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Backtest run 12 …"},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "thread_id": "oai_5d41402abc4b2a76b9"}]})

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str = MODEL
    choices: list[ChatChoice]
    usage: dict[str, int]
    thread_id: str = Field(description="quantpilot's thread (also in the X-Quantpilot-Thread header)")


class ModelPublic(BaseModel):
    id: str = MODEL
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "quantpilot"


class ModelListPublic(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelPublic]
