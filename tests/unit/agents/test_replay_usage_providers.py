"""Record/replay of model calls, provider construction, agent specs."""

from __future__ import annotations

import re

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_openai import ChatOpenAI

from agents import AgentSpec, OfflinePlanner, build_agents, make_chat_model
from agents.replay import ReplayChatModel, ReplayMode
from config import ModelProvider, Settings
from errors import ConfigError, NotFoundError
from tools import ToolContext, all_tools

SCRIPTED = AIMessage(content="", tool_calls=[{"name": "get_positions", "args": {}, "id": "call_1",
                                               "type": "tool_call"}],
                     usage_metadata={"input_tokens": 120, "output_tokens": 30, "total_tokens": 150})


def test_replay_returns_the_recorded_messages_without_calling_any_model(tmp_path):
    tools = list(all_tools(ToolContext(settings=Settings())).values())
    prompt = [HumanMessage("what do I hold?")]
    recorder = ReplayChatModel(inner=GenericFakeChatModel(messages=iter([SCRIPTED])), mode=ReplayMode.RECORD,
                               directory=tmp_path, model_id="gpt-4o-mini")
    recorded = recorder.bind_tools(tools).invoke(prompt)
    # the inner model now points at an unroutable address: any network use would fail (and is blocked)
    offline = ChatOpenAI(model="gpt-4o-mini", base_url="http://10.255.255.1/v1", api_key="x", max_retries=0)
    replayer = ReplayChatModel(inner=offline, mode=ReplayMode.REPLAY, directory=tmp_path, model_id="gpt-4o-mini")
    replayed = replayer.bind_tools(tools).invoke(prompt)
    assert replayed.tool_calls == recorded.tool_calls == SCRIPTED.tool_calls
    assert replayed.content == recorded.content
    assert replayed.usage_metadata == recorded.usage_metadata
    assert len(list(tmp_path.glob("*.json"))) == 1


def test_replay_of_a_call_never_recorded_is_an_error(tmp_path):
    replayer = ReplayChatModel(mode=ReplayMode.REPLAY, directory=tmp_path, model_id="m")
    with pytest.raises(NotFoundError):
        replayer.invoke([HumanMessage("new question")])


def test_replay_key_changes_with_messages_and_tools(tmp_path):
    model = ReplayChatModel(mode=ReplayMode.REPLAY, directory=tmp_path, model_id="m")
    a = model.key([HumanMessage("a")], None, {})
    assert a == model.key([HumanMessage("a")], None, {})
    assert a != model.key([HumanMessage("b")], None, {})
    assert a != model.key([HumanMessage("a")], None, {"tools": [{"function": {"name": "x"}}]})


def test_offline_is_the_default_provider():
    assert isinstance(make_chat_model(Settings()), OfflinePlanner)


def test_openai_provider_is_configured_with_a_local_base_url_without_calling_it():
    settings = Settings(model_provider=ModelProvider.OPENAI, model_name="llama3.1",
                        openai_base_url="http://localhost:11434/v1")
    model = make_chat_model(settings)
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "llama3.1"
    assert model.openai_api_base == "http://localhost:11434/v1"


def test_openai_provider_without_key_or_base_url_is_a_config_error():
    with pytest.raises(ConfigError):
        make_chat_model(Settings(model_provider=ModelProvider.OPENAI))


def test_build_agents_gives_five_specs_with_versioned_prompts_and_own_tools():
    settings = Settings()
    agents = build_agents(settings, ToolContext(settings=settings))
    assert list(agents) == ["data", "strategy", "risk", "execution", "monitoring"]
    for name, spec in agents.items():
        assert isinstance(spec, AgentSpec)
        assert re.fullmatch(rf"{name}-v\d+", spec.prompt_version)  # a changed prompt gets a new version
        assert spec.tools and spec.system_prompt
    assert "place_order" in agents["execution"].tool_names
    assert "place_order" not in agents["risk"].tool_names
    with pytest.raises(AttributeError):
        agents["data"].name = "other"  # frozen


def test_a_bound_agent_model_plans_with_its_own_tools():
    settings = Settings()
    agents = build_agents(settings, ToolContext(settings=settings))
    message = agents["risk"].bound_model().invoke([HumanMessage("what's my exposure?")])
    assert message.tool_calls[0]["name"] == "compute_portfolio_exposure"
