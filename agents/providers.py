"""``make_chat_model(settings)``: the chat model the agents use.

- ``offline`` (default): ``OfflinePlanner`` — deterministic, no key, no network.
- ``openai``: ``agents.openai_compatible.OpenAICompatibleChat`` (``ChatOpenAI`` made correct for every
  OpenAI-compatible server: Ollama, vLLM, llama.cpp's server) through ``openai_base_url``, with the
  output-token cap, request timeout, retries and streaming from settings. Local servers accept any key;
  a placeholder is used when none is configured so construction never reads the environment behind
  the settings' back.
"""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from config import ModelProvider, Settings
from errors import ConfigError

LOCAL_SERVER_KEY = "not-needed-for-local-servers"


def make_chat_model(settings: Settings) -> BaseChatModel:
    if settings.model_provider is ModelProvider.OFFLINE:
        from agents.offline_planner import OfflinePlanner

        return OfflinePlanner()
    if settings.model_provider is ModelProvider.OPENAI:
        from agents.openai_compatible import OpenAICompatibleChat

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        if key is None and settings.openai_base_url is None:
            raise ConfigError("model provider 'openai' needs QUANTPILOT_OPENAI_API_KEY or QUANTPILOT_OPENAI_BASE_URL "
                              "(a local OpenAI-compatible server)", details={"field": "openai_api_key"})
        return OpenAICompatibleChat(
            model=settings.model_name, base_url=settings.openai_base_url, api_key=key or LOCAL_SERVER_KEY,
            temperature=0, max_tokens=settings.model_max_output_tokens, timeout=settings.model_timeout_s,
            max_retries=settings.model_max_retries, stream_usage=True,
            disable_streaming=not settings.model_stream)
    raise ConfigError(f"unknown model provider {settings.model_provider!r}", details={"field": "model_provider"})
