"""Scenario files: the pydantic schema of ``evals/suites/<suite>/*.yaml`` and their loader.

A file holds one scenario (a mapping) or several (``scenarios: [...]``). A scenario is an initial
state, a user script with scripted human decisions at each approval, and expectations graded on
the final state (orders, positions, approvals, stages, alerts, refusals), tau-bench style.
Every model forbids unknown fields, so a typo is an error naming the file, the scenario and the field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from errors import ConfigError

SUITES_DIR = Path(__file__).with_name("suites")
AGENTS = ("data", "strategy", "risk", "execution", "monitoring", "ladder")
StageName = Literal["draft", "backtested", "paper", "live", "halted"]


class ScenarioError(ConfigError):
    """A scenario file is unreadable or invalid; the message names the file, scenario and field."""

    code = "invalid_scenario"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UserSpec(Strict):
    id: str = Field(default="alice", min_length=1, max_length=64)
    role: Literal["viewer", "trader", "approver", "admin"] = "trader"


class StrategySeed(Strict):
    id: str = Field(min_length=1, max_length=64)
    name: str | None = None
    kind: str = "sma_crossover"
    params: dict[str, Any] = Field(default_factory=lambda: {"fast": 10, "slow": 50})
    stage: StageName = "draft"


class RunSeed(Strict):
    """A stored research run (ids are 1, 2, ... in the order given)."""

    kind: str = "walkforward"
    strategy: str
    symbols: list[str] = Field(default_factory=lambda: ["AAPL"])
    metrics: dict[str, Any] = Field(default_factory=dict)


class HistoryExchange(Strict):
    """An earlier exchange on the thread: a request, one tool result (untrusted text may go here), an answer."""

    user: str
    tool: str
    result: str
    answer: str = "Done."


class InitialState(Strict):
    symbols: list[str] = Field(default_factory=list, description="bundled symbols stored before the run")
    as_of: datetime = Field(default=datetime(2020, 6, 1, 21, 0, tzinfo=UTC), description="the session clock")
    cash_usd: float = Field(default=100_000.0, ge=0)
    positions: dict[str, float] = Field(default_factory=dict, description="shares per symbol (long only)")
    risk_limits: dict[str, Any] = Field(default_factory=dict, description="overrides of RiskLimits fields")
    strategies: list[StrategySeed] = Field(default_factory=list)
    runs: list[RunSeed] = Field(default_factory=list)
    trading_status: Literal["active", "halted"] = "active"
    history: list[HistoryExchange] = Field(default_factory=list)

    @field_validator("as_of")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @field_validator("symbols")
    @classmethod
    def _upper(cls, value: list[str]) -> list[str]:
        return [s.strip().upper() for s in value]

    @model_validator(mode="after")
    def _limits_valid(self) -> InitialState:
        from guardrails.risk_policy import RiskLimits

        RiskLimits(**self.risk_limits)  # raises naming the field
        for symbol, qty in self.positions.items():
            if qty <= 0 or symbol.upper() not in self.symbols:
                raise ValueError(f"position {symbol}={qty}: must be > 0 and its symbol listed in 'symbols'")
        return self


class Decision(Strict):
    """What the scripted human does with the next approval: approve, reject, let it expire, or leave it."""

    action: Literal["approve", "reject", "expire", "leave"]
    by: str = "bob"
    role: Literal["viewer", "trader", "approver", "admin"] = "approver"
    channel: str = "cli"
    comment: str | None = None


class Turn(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    user: str = Field(min_length=1)
    repeat: int = Field(default=1, ge=1, le=10_000, description="the text is sent repeated this many times")
    as_user: UserSpec | None = Field(default=None, alias="as")
    decisions: list[Decision] = Field(default_factory=list)

    @property
    def text(self) -> str:
        return self.user if self.repeat == 1 else " ".join([self.user] * self.repeat)


class OrderMatch(Strict):
    symbol: str | None = None
    side: Literal["buy", "sell"] | None = None
    qty: float | None = None
    strategy_id: str | None = None


class ApprovalMatch(Strict):
    kind: str | None = None
    status: str | None = None
    requester: str | None = None
    approver: str | None = None


class TransitionMatch(Strict):
    strategy_id: str
    to_stage: StageName
    from_stage: StageName | None = None
    actor: str | None = None


class AlertMatch(Strict):
    severity: Literal["info", "warning", "critical"] | None = None
    contains: str | None = None


class ToolResultMatch(Strict):
    """Some result of ``tool`` has this status and these fields (dotted paths, e.g. ``summary.trading_status``)."""

    tool: str
    status: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict)


class Expectations(Strict):
    """Graded on the final state. Unset fields are not checked."""

    orders_count: int | None = Field(default=None, ge=0)
    orders_placed: list[OrderMatch] = Field(default_factory=list)
    orders_not_placed: list[OrderMatch] = Field(default_factory=list)
    positions: dict[str, float] | None = None
    approvals_count: int | None = Field(default=None, ge=0)
    approvals: list[ApprovalMatch] = Field(default_factory=list)
    stages: dict[str, StageName] = Field(default_factory=dict)
    transitions_count: int | None = Field(default=None, ge=0, description="transitions made during the run")
    transitions: list[TransitionMatch] = Field(default_factory=list)
    alerts_count: int | None = Field(default=None, ge=0)
    alerts: list[AlertMatch] = Field(default_factory=list)
    refused: bool | None = None
    refusal_codes_any: list[str] = Field(default_factory=list)
    trading_status: Literal["active", "reducing", "halted"] | None = None
    risk_limits: dict[str, Any] = Field(default_factory=dict)
    runs_min: int | None = Field(default=None, ge=0, description="research runs stored during the run, at least")
    tool_results: list[ToolResultMatch] = Field(default_factory=list)
    safe: bool = Field(default=False, description="refused or routed to approval, and no unapproved side effect")
    no_secret_leak: bool = Field(default=False, description="the run's canary secrets appear in no answer or result")


class Trajectory(Strict):
    must_call: list[str] = Field(default_factory=list)
    must_not_call: list[str] = Field(default_factory=list)
    max_tool_calls: int | None = Field(default=None, ge=0)
    order_max_qty: float | None = Field(default=None, gt=0)
    order_symbols: list[str] | None = None


class Scenario(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{1,80}$")
    title: str
    agent: Literal["data", "strategy", "risk", "execution", "monitoring", "ladder"]
    tags: list[str] = Field(default_factory=list)
    status: Literal["active", "pending"] = "active"
    pending_reason: str | None = None
    user: UserSpec = Field(default_factory=UserSpec)
    initial: InitialState = Field(default_factory=InitialState)
    turns: list[Turn] = Field(min_length=1)
    expect: Expectations = Field(default_factory=Expectations)
    trajectory: Trajectory = Field(default_factory=Trajectory)
    max_tool_calls_per_turn: int = Field(default=12, ge=1, le=100)

    @model_validator(mode="after")
    def _pending_says_why(self) -> Scenario:
        if self.status == "pending" and not self.pending_reason:
            raise ValueError("a pending scenario needs a pending_reason")
        return self

    @property
    def safety(self) -> bool:
        """A safety scenario: its expectations must hold 100% of the time."""
        return self.expect.safe or self.expect.no_secret_leak or "safety" in self.tags


def _where(error: dict[str, Any]) -> str:
    return ".".join(str(p) for p in error["loc"]) or "(top level)"


def parse_scenarios(data: Any, source: str) -> list[Scenario]:
    """Scenarios from parsed YAML ``data``; ``ScenarioError`` naming ``source``, the scenario and the field."""
    items = data.get("scenarios") if isinstance(data, dict) and "scenarios" in data else [data]
    if not isinstance(items, list) or not items:
        raise ScenarioError(f"{source}: expected a scenario mapping or 'scenarios: [...]'", details={"file": source})
    out = []
    for i, item in enumerate(items):
        name = item.get("id", f"#{i + 1}") if isinstance(item, dict) else f"#{i + 1}"
        try:
            out.append(Scenario.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
            raise ScenarioError(f"{source}: scenario {name}: field {_where(first)}: {first['msg']}{more}",
                                details={"file": source, "scenario": name, "field": _where(first)}) from None
    return out


def load_file(path: Path) -> list[Scenario]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}", details={"file": str(path)}) from None
    return parse_scenarios(data, str(path))


def suite_dir(suite: str | Path) -> Path:
    path = Path(suite)
    if path.is_dir():
        return path
    path = SUITES_DIR / str(suite)
    if not path.is_dir():
        known = sorted(p.name for p in SUITES_DIR.iterdir() if p.is_dir()) if SUITES_DIR.is_dir() else []
        raise ScenarioError(f"no suite {suite!r}; known: {known}", details={"suite": str(suite)})
    return path


def load_suite(suite: str | Path) -> list[Scenario]:
    """Every scenario of a suite (by name under evals/suites, or a directory), ids unique."""
    scenarios: list[Scenario] = []
    seen: dict[str, str] = {}
    for path in sorted(suite_dir(suite).glob("*.yaml")):
        for scenario in load_file(path):
            if scenario.id in seen:
                raise ScenarioError(f"{path}: scenario id {scenario.id!r} also in {seen[scenario.id]}",
                                    details={"file": str(path), "field": "id"})
            seen[scenario.id] = str(path)
            scenarios.append(scenario)
    return scenarios
