"""Recorded model calls are keyed without volatile ids, so a replay finds them in a fresh run."""

from __future__ import annotations

from pathlib import Path

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from agents.offline_planner import OfflinePlanner
from agents.replay import ReplayMode
from evals.models import StableReplayChatModel, stable_text


def test_approval_ids_and_latencies_are_masked():
    text = '{"approval_id": "apr_0123456789ab", "latency_ms": 2.31} latency_ms=4.5'
    assert stable_text(text) == '{"approval_id": "apr_<id>", "latency_ms": 0} latency_ms=0'


def test_a_recording_replays_for_a_conversation_that_differs_only_in_approval_id(tmp_path: Path):
    def convo(approval_id: str):
        return [HumanMessage("show risk limits"),
                AIMessage("", tool_calls=[{"name": "get_risk_limits", "args": {}, "id": "c1"}]),
                ToolMessage(f'{{"status": "approved", "approval_id": "{approval_id}"}}', tool_call_id="c1")]

    recorder = StableReplayChatModel(inner=OfflinePlanner(), mode=ReplayMode.RECORD, directory=tmp_path,
                                     model_id="offline")
    recorded = recorder.invoke(convo("apr_aaaaaaaaaaaa"))
    player = StableReplayChatModel(inner=None, mode=ReplayMode.REPLAY, directory=tmp_path, model_id="offline")
    assert player.invoke(convo("apr_bbbbbbbbbbbb")).content == recorded.content
