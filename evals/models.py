"""The chat model a run evaluates: ``offline`` (the deterministic planner) or ``openai:MODEL`` through the
same OpenAI-compatible provider the product uses; optionally recorded to / replayed from a directory."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from agents.replay import ReplayChatModel, ReplayMode
from config import ModelProvider, Settings
from errors import ConfigError

# Values that differ between two runs of the same conversation (random approval ids, measured latencies):
# masked in the recording key so a replay finds the recorded answer.
_VOLATILE = (
    (re.compile(r"apr_[0-9a-f]{12}"), "apr_<id>"),
    (re.compile(r'("latency_ms":\s*)[0-9.]+'), r"\g<1>0"),
    (re.compile(r"(latency_ms=)[0-9.]+"), r"\g<1>0"),
)


def stable_text(text: str) -> str:
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


class StableReplayChatModel(ReplayChatModel):
    """``ReplayChatModel`` whose recording key ignores volatile ids and latencies."""

    def key(self, messages, stop, kwargs) -> str:
        stable = [m.model_copy(update={"content": stable_text(m.content)}) if isinstance(m.content, str) else m
                  for m in messages]
        return super().key(stable, stop, kwargs)


@dataclass(frozen=True)
class ModelSpec:
    """``offline`` or ``openai:<model name>``; ``record``/``replay`` name a recordings directory."""

    name: str = "offline"
    record: Path | None = None
    replay: Path | None = None

    def __post_init__(self) -> None:
        if self.record and self.replay:
            raise ConfigError("give --record or --replay, not both", details={"field": "record"})
        if self.name != "offline" and not self.name.startswith("openai:"):
            raise ConfigError(f"unknown model {self.name!r}; use offline or openai:MODEL", details={"field": "model"})

    @property
    def model_name(self) -> str:
        return "offline-planner" if self.name == "offline" else self.name.split(":", 1)[1]

    def settings(self, base: Settings) -> Settings:
        if self.name == "offline":
            return base.model_copy(update={"model_provider": ModelProvider.OFFLINE})
        return base.model_copy(update={"model_provider": ModelProvider.OPENAI, "model_name": self.model_name})

    def build(self, settings: Settings) -> BaseChatModel:
        """The model for one trial (a new instance each time: trials may run on threads)."""
        from agents.providers import make_chat_model

        if self.replay is not None:
            return StableReplayChatModel(inner=None, mode=ReplayMode.REPLAY, directory=self.replay,
                                         model_id=self.name)
        inner = make_chat_model(self.settings(settings))
        if self.record is not None:
            return StableReplayChatModel(inner=inner, mode=ReplayMode.RECORD, directory=self.record,
                                         model_id=self.name)
        return inner

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "record": str(self.record) if self.record else None,
                "replay": str(self.replay) if self.replay else None}
