"""The paraphrase corpus: everyday requests and the tool calls they must become, graded in-process.

``evals/corpus/paraphrases.yaml`` lists requests (several phrasings each, typos and follow-ups included) with
the tool and arguments expected, or the kind of reply (help, a pointer elsewhere). ``grade_corpus`` runs each
phrasing the way the product graph does, without a database: the supervisor's intent router picks the agent
(with the thread context), then the offline planner bound to that agent's tools plans the calls. A phrasing
is right when the agent owns the tool, the calls and their arguments match (a subset: an empty ``{}``/``[]``
must be equal), and the arguments pass the tool's own schema. A few seconds for the whole corpus.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from errors import ConfigError

CORPUS = Path(__file__).with_name("corpus") / "paraphrases.yaml"
GATE = 0.95  # the share of phrasings that must be planned right


class Expected(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tool: str | None = None
    reply: str | None = None
    args: dict[str, Any] | None = None
    calls: list[dict[str, Any]] | None = None
    context: str | None = None
    say: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_outcome(self) -> Expected:
        if (self.tool is None) == (self.reply is None):
            raise ValueError("give either tool or reply")
        return self


class Corpus(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    contexts: dict[str, dict[str, Any]] = Field(default_factory=dict)
    requests: list[Expected]

    @model_validator(mode="after")
    def _contexts_known(self) -> Corpus:
        unknown = sorted({r.context for r in self.requests if r.context and r.context not in self.contexts})
        if unknown:
            raise ValueError(f"unknown context(s) {unknown}; defined: {sorted(self.contexts)}")
        return self


@dataclass(frozen=True)
class Graded:
    text: str
    expected: str  # the tool, or "reply:<kind>"
    agent: str
    got: str  # what the planner did, in one line
    correct: bool


@dataclass
class RoutingReport:
    graded: list[Graded] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.graded)

    @property
    def correct(self) -> int:
        return sum(g.correct for g in self.graded)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def failures(self) -> list[Graded]:
        return [g for g in self.graded if not g.correct]

    def per_expected(self) -> dict[str, tuple[int, int]]:
        """expected tool (or reply) -> (right, phrasings)."""
        total, right = Counter(g.expected for g in self.graded), Counter(g.expected for g in self.graded if g.correct)
        return {k: (right[k], total[k]) for k in sorted(total)}

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "correct": self.correct, "accuracy": round(self.accuracy, 4), "gate": GATE,
                "per_expected": {k: {"right": r, "phrasings": n} for k, (r, n) in self.per_expected().items()},
                "failures": [asdict(g) for g in self.failures()]}


def load_corpus(path: Path = CORPUS) -> Corpus:
    try:
        return Corpus.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}", details={"file": str(path)}) from None


def matches(expected: Any, actual: Any) -> bool:
    """``expected`` within ``actual``: dict keys recursively, an empty dict or list equal, anything else equal;
    None (no arguments given) matches anything."""
    if expected is None:
        return True
    if isinstance(expected, dict):
        if not expected:
            return actual == {}
        return isinstance(actual, dict) and all(k in actual and matches(v, actual[k]) for k, v in expected.items())
    return expected == actual


class _Planning:
    """The product's routing and planning without a database: tools bound to a settings-only context."""

    def __init__(self) -> None:
        from agents.offline_planner import OfflinePlanner
        from config import Settings
        from graph.routing import intent_router, route_to_tool
        from tools import ToolContext, build_tools

        self.tools = build_tools(ToolContext(settings=Settings()))
        owners: dict[str, str] = {}
        for agent, agent_tools in self.tools.items():
            for tool in agent_tools:
                owners.setdefault(tool.name, agent)
        self.route = intent_router(owners)
        self.models = {agent: OfflinePlanner().bind_tools([*agent_tools, route_to_tool()])
                       for agent, agent_tools in self.tools.items()}

    def plan(self, text: str, context: dict[str, Any]) -> tuple[str, Any]:
        from langchain_core.messages import HumanMessage, SystemMessage

        from agents.specs import CONTEXT_PREFIX

        agent = self.route(text, context)
        note = [SystemMessage(CONTEXT_PREFIX + json.dumps(context, sort_keys=True))] if context else []
        return agent, self.models[agent].invoke([*note, HumanMessage(text)])

    def schema_ok(self, agent: str, name: str, args: dict[str, Any]) -> bool:
        tool = next((t for t in self.tools[agent] if t.name == name), None)
        try:
            return tool is not None and tool.args_schema.model_validate(args) is not None
        except ValueError:
            return False


def _grade(planning: _Planning, item: Expected, text: str, context: dict[str, Any]) -> Graded:
    agent, message = planning.plan(text, context)
    calls = [(c["name"], c["args"]) for c in message.tool_calls]
    got = "; ".join(f"{n} {json.dumps(a, sort_keys=True)}" for n, a in calls) or str(message.content)[:120]
    if item.reply is not None:
        kind = (message.additional_kwargs.get("planner") or {}).get("reply")
        return Graded(text, f"reply:{item.reply}", agent, got if calls else f"reply:{kind}",
                      not calls and kind == item.reply)
    wanted = item.calls or [item.args]
    right = (len(calls) == len(wanted) if item.calls else len(calls) >= 1) and all(
        name == item.tool and matches(args_wanted, args) and planning.schema_ok(agent, name, args)
        for (name, args), args_wanted in zip(calls, wanted, strict=False))
    return Graded(text, str(item.tool), agent, got, right)


def grade_corpus(path: Path = CORPUS) -> RoutingReport:
    """Every phrasing of the corpus routed and planned; the report of what was right."""
    corpus, planning = load_corpus(path), _Planning()
    report = RoutingReport()
    for item in corpus.requests:
        context = corpus.contexts.get(item.context, {}) if item.context else {}
        report.graded.extend(_grade(planning, item, text, context) for text in item.say)
    return report
