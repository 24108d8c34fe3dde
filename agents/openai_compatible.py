"""``OpenAICompatibleChat``: ``ChatOpenAI`` made correct for any OpenAI-compatible server.

What it changes, and why (each was seen against llama.cpp / llama-cpp-python and applies to Ollama
and vLLM too):
- ``tool_choice="auto"`` goes with every request that carries tools (without it llama-cpp-python
  drops the tools) and parallel tool calls are not asked for;
- ``max_tokens`` (so named for every server but OpenAI's own, which reads ``max_completion_tokens``),
  a request timeout and bounded retries come from settings, never the client's 600 s and 2 retries;
- usage is requested on streams (``stream_options.include_usage``), so a streamed turn has tokens;
- an assistant message with tool calls is sent with ``content: ""``, never ``null`` (a 500 on
  llama-cpp-python);
- a server that refuses to stream tool calls (an HTTP error before the first chunk) is asked again
  without streaming, and from then on this model does not stream requests with tools;
- a server that sends no usage on a stream (llama-cpp-python ignores ``include_usage``) is asked
  without streaming from then on, and that one call is flagged ``response_metadata[USAGE_MISSING_KEY]``;
- a streamed tool call whose arguments are not one complete JSON object (cut off, garbage) is
  reported in ``response_metadata[MALFORMED_KEY]`` (the client library would otherwise "complete"
  the partial JSON); without streaming the library already lists it in ``invalid_tool_calls``;
- every server failure becomes one ``ModelServerError`` line naming the server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import openai
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_openai import ChatOpenAI
from pydantic import PrivateAttr

from agents.specs import MALFORMED_TOOL_CALLS_KEY as MALFORMED_KEY
from agents.specs import USAGE_MISSING_KEY
from agents.tool_schemas import strict_arguments
from errors import ModelServerError, ModelTimeoutError

_OVERFLOW_HINTS = ("context_length_exceeded", "exceed context window", "exceeds the available context",
                   "maximum context length", "context window", "context size", "too many tokens",
                   "prompt is too long", "exceed_context_size")
_STREAM_REFUSED_STATUSES = frozenset({400, 422, 501})  # and any error whose message is about streaming


def _refused_streaming(exc: openai.APIError) -> bool:
    """True when a streamed request with tools failed because the server cannot stream tool calls
    (llama-cpp-python: HTTP 500 "Automatic streaming tool choice is not supported")."""
    cause = exc.__cause__ if isinstance(exc.__cause__, openai.APIStatusError) else exc
    if not isinstance(cause, openai.APIStatusError):
        return False
    return cause.status_code in _STREAM_REFUSED_STATUSES or "stream" in _server_message(cause).lower()


def _first_line(text: str, limit: int = 200) -> str:
    line = next((part.strip() for part in str(text).splitlines() if part.strip()), "")
    return line[:limit]


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    inner = body.get("error") if isinstance(body.get("error"), dict) else body
    return _first_line(str((inner or {}).get("message") or body.get("detail") or exc.message or ""))


def model_server_error(exc: Exception, where: str, timeout_s: float | None) -> ModelServerError:
    """One clear line for a failed model request to the server at ``where``."""
    cause = exc.__cause__ if isinstance(exc.__cause__, openai.APIError) else exc
    details: dict[str, Any] = {"server": where}
    if isinstance(cause, openai.APITimeoutError):
        return ModelTimeoutError(f"the model server at {where} did not answer within {timeout_s:g} s",
                                 details=details)
    if isinstance(cause, openai.APIConnectionError):
        return ModelServerError(f"cannot reach the model server at {where}: is it running?",
                                code="model_unreachable", details=details)
    if isinstance(cause, openai.APIStatusError):
        message = _server_message(cause)
        details["status"] = cause.status_code
        if any(hint in (message + str(cause.body)).lower() for hint in _OVERFLOW_HINTS):
            return ModelServerError(f"the request is longer than the model's context window ({message}); "
                                    "start a new thread or shorten the request", code="model_context_overflow",
                                    details=details)
        if cause.status_code in (401, 403):
            return ModelServerError(f"the model server at {where} refused the API key (HTTP {cause.status_code})",
                                    code="model_auth", details=details)
        return ModelServerError(f"the model server at {where} answered HTTP {cause.status_code}: "
                                f"{message or 'no detail'}", code="model_http_error", details=details)
    return ModelServerError(f"the model server at {where} failed: {_first_line(str(exc)) or type(exc).__name__}",
                            details=details)


class OpenAICompatibleChat(ChatOpenAI):
    """``ChatOpenAI`` for OpenAI and local OpenAI-compatible servers (see the module docstring)."""

    _tools_stream_refused: bool = PrivateAttr(default=False)
    _stream_usage_missing: bool = PrivateAttr(default=False)

    @property
    def server(self) -> str:
        return self.openai_api_base or "api.openai.com"

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, parallel_tool_calls: bool | None = None,
                   **kwargs: Any):
        return super().bind_tools(tools, tool_choice=tool_choice or ("auto" if tools else None),
                                  parallel_tool_calls=parallel_tool_calls, **kwargs)

    def _streaming_disabled(self, **kwargs: Any) -> bool:
        if self._stream_usage_missing or (kwargs.get("tools") and self._tools_stream_refused):
            return True
        return super()._streaming_disabled(**kwargs)

    def _get_request_payload(self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any) -> dict:
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        if self.openai_api_base and "max_completion_tokens" in payload:  # the name local servers read
            payload["max_tokens"] = payload.pop("max_completion_tokens")
        for message in payload.get("messages") or []:
            if message.get("role") == "assistant" and message.get("content") is None:
                message["content"] = ""
        return payload

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        # a whole reply: a caller's stream=True must not reach the request (streaming was decided before)
        kwargs = {k: v for k, v in kwargs.items() if k not in ("stream", "stream_options")}
        try:
            return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)
        except openai.APIError as exc:
            raise model_server_error(exc, self.server, self.request_timeout) from exc

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        raw: dict[int, dict[str, Any]] = {}
        started = usage = False
        try:
            for chunk in super()._stream(messages, stop=stop, run_manager=run_manager, **kwargs):
                started = True
                usage = usage or bool(getattr(chunk.message, "usage_metadata", None))
                if isinstance(chunk.message, AIMessageChunk):
                    for part in chunk.message.tool_call_chunks:
                        entry = raw.setdefault(part.get("index") or 0, {"id": None, "name": "", "args": ""})
                        entry["id"] = entry["id"] or part.get("id")
                        entry["name"] += part.get("name") or ""
                        entry["args"] += part.get("args") or ""
                yield chunk
        except openai.APIError as exc:
            if started or not kwargs.get("tools") or not _refused_streaming(exc):
                raise model_server_error(exc, self.server, self.request_timeout) from exc
            # the server cannot stream tool calls: ask once more without streaming, and stop trying
            self._tools_stream_refused = True
            result = self._generate(messages, stop=stop, **kwargs)
            message = result.generations[0].message
            yield ChatGenerationChunk(message=AIMessageChunk(
                content=message.content, id=message.id, tool_call_chunks=[
                    {"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i, "type":
                     "tool_call_chunk"} for i, c in enumerate(getattr(message, "tool_calls", []))],
                usage_metadata=getattr(message, "usage_metadata", None),
                response_metadata={**message.response_metadata, "stream_fallback": True,
                                   **({MALFORMED_KEY: _invalid(message)} if _invalid(message) else {})}))
            return
        malformed = [{"id": e["id"], "name": e["name"], "args": e["args"], "error": error}
                     for e in raw.values() if (error := strict_arguments(e["args"])) is not None]
        flags: dict[str, Any] = {MALFORMED_KEY: malformed} if malformed else {}
        if not usage:  # the server ignores stream_options.include_usage: from now on ask without streaming
            self._stream_usage_missing = True
            flags[USAGE_MISSING_KEY] = True
        if flags:
            yield ChatGenerationChunk(message=AIMessageChunk(content="", response_metadata=flags))


def _invalid(message: Any) -> list[dict[str, Any]]:
    return [{"id": c.get("id"), "name": c.get("name"), "args": c.get("args"), "error": c.get("error")
             or strict_arguments(c.get("args")) or "invalid tool call"}
            for c in getattr(message, "invalid_tool_calls", None) or []]
