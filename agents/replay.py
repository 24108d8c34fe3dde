"""Record and replay chat-model calls, so a real model's run can be repeated bit for bit offline.

``ReplayChatModel(inner, mode, directory)`` wraps any chat model. ``record`` calls ``inner`` and
stores each response as a JSON file named by the SHA-256 of (model id, messages, bound tools, stop);
``replay`` answers from those files only (never calls ``inner``; a missing recording is an error);
``off`` passes straight through.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, messages_from_dict, messages_to_dict
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool

from errors import NotFoundError


class ReplayMode(StrEnum):
    OFF = "off"
    RECORD = "record"
    REPLAY = "replay"


class ReplayChatModel(BaseChatModel):
    inner: BaseChatModel | None = None
    mode: ReplayMode = ReplayMode.OFF
    directory: Path
    model_id: str = ""

    @property
    def _llm_type(self) -> str:
        return "replay"

    def bind_tools(self, tools, *, tool_choice: str | None = None, **kwargs: Any):
        formatted = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=formatted, **({"tool_choice": tool_choice} if tool_choice else {}), **kwargs)

    def key(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> str:
        payload = {"model": self._model_id(), "messages": messages_to_dict(messages), "stop": stop,
                   "kwargs": kwargs}
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()

    def _model_id(self) -> str:
        if self.model_id:
            return self.model_id
        inner = self.inner
        return f"{type(inner).__name__}:{getattr(inner, 'model_name', '') or getattr(inner, 'model', '')}"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        if self.mode is ReplayMode.OFF:
            return self._call_inner(messages, stop, kwargs)
        path = self.directory / f"{self.key(messages, stop, kwargs)}.json"
        if self.mode is ReplayMode.REPLAY:
            if not path.exists():
                raise NotFoundError(f"no recorded model response {path.name} in {self.directory}",
                                    details={"path": str(path)})
            stored = json.loads(path.read_text())
            return ChatResult(generations=[ChatGeneration(message=m) for m in messages_from_dict(stored["messages"])])
        result = self._call_inner(messages, stop, kwargs)
        self.directory.mkdir(parents=True, exist_ok=True)
        record = {"model": self._model_id(), "messages": messages_to_dict([g.message for g in result.generations])}
        path.write_text(json.dumps(record, indent=1, sort_keys=True, default=str))
        return result

    def _call_inner(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> ChatResult:
        if self.inner is None:
            raise NotFoundError("replay wrapper has no inner model to call", details={"mode": self.mode.value})
        tools = kwargs.pop("tools", None)
        model = self.inner.bind(tools=tools, **kwargs) if tools else self.inner.bind(**kwargs)
        message = model.invoke(messages, stop=stop)
        return ChatResult(generations=[ChatGeneration(message=message)])
