"""One trial: seed the initial state in the trial's own database, run the user script through the
product graph (agents from ``agents.build_agents``, the Postgres checkpointer, ``ApprovalService`` for
every scripted decision), then read back the final state."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from pydantic import SecretStr

from config import Settings
from errors import ApprovalError, ConfigError, ModelServerError
from evals.execution import TrialExecution, build_execution
from evals.isolation import TrialDatabase
from evals.models import ModelSpec
from evals.observe import ObservedState, approvals_json, trajectory
from evals.scenario import Decision, InitialState, Scenario

SEED_ACTOR = "eval-seed"
LADDER = ("draft", "backtested", "paper", "live")
KIND_FOR_STAGE = {"backtested": "strategy", "paper": "paper", "live": "live"}


class SettableClock:
    """The trial's "now" (UTC); ``advance`` moves it (a decision that lets an approval expire)."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class TrialResult:
    observed: ObservedState
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0
    latency_s: float = 0.0
    turns: list[dict[str, Any]] = field(default_factory=list)


def _seed_approval(database, strategy_id: str, stage: str, at: datetime) -> str | None:
    """An applied approval of the stage's kind for the strategy as registered now (the execution path
    accepts a stage only through such an approval); None for stages without one (halted)."""
    from memory.approvals import ApprovalStore
    from memory.strategies import StrategyRegistry

    kind = KIND_FOR_STAGE.get(stage)
    if kind is None:
        return None
    record = StrategyRegistry(database).get(strategy_id)
    store, approval_id = ApprovalStore(database), f"seed-{stage}-{strategy_id}"[:64]
    store.save_request({"id": approval_id, "kind": kind, "requester": SEED_ACTOR, "channel": "eval",
                        "thread_id": None, "subject": {"strategy_id": strategy_id, "version": record.version,
                                                       "params_hash": record.params_hash,
                                                       "from_stage": record.stage, "to_stage": stage},
                        "evidence": {}, "summary": "initial state", "created_at": at,
                        "expires_at": at + timedelta(days=3)})
    store.record_decision(approval_id, "approved", SEED_ACTOR, "eval", "initial state", at)
    store.close(approval_id, "applied", {"effect": "seed"}, at)
    return approval_id


def _seed(initial: InitialState, database) -> int:
    """Strategies at their stages and stored runs; returns the highest seeded run id (0: none)."""
    at = initial.as_of
    from memory.runs import RunStore
    from memory.strategies import StrategyRegistry

    registry = StrategyRegistry(database)
    for s in initial.strategies:
        registry.register(s.id, s.name or s.id, s.kind, dict(s.params))
        path = ["halted"] if s.stage == "halted" else list(LADDER[1:LADDER.index(s.stage) + 1])
        for stage in path:
            approval_id = _seed_approval(database, s.id, stage, at)
            registry.transition(s.id, stage, actor=SEED_ACTOR, approval_id=approval_id, reason="initial state")
    store, last = RunStore(database), 0
    for run in initial.runs:
        last = store.create(run.kind, strategy=run.strategy, symbols=list(run.symbols), created_by=SEED_ACTOR)
        store.finish(last, metrics=dict(run.metrics))
    return last


def _history(initial: InitialState) -> list[BaseMessage]:
    out: list[BaseMessage] = []
    for i, h in enumerate(initial.history):
        call_id = f"call_history_{i}"
        out += [HumanMessage(h.user), AIMessage("", tool_calls=[{"name": h.tool, "args": {}, "id": call_id}]),
                ToolMessage(h.result, tool_call_id=call_id, name=h.tool), AIMessage(h.answer)]
    return out


class TrialPeople:
    """The people of a scenario as stored users of the trial's database (the services decide by user id)."""

    def __init__(self, database):
        from memory.users import UserStore

        self.store, self.ids = UserStore(database), {}

    def ref(self, name: str, role: str) -> dict[str, Any]:
        """The graph's ``UserRef`` of ``name`` with ``role`` (created, or given that role, on first use)."""
        from guardrails.policy import Role

        if name not in self.ids:
            self.ids[name] = (self.store.add(name, Role.parse(role)).user.id, role)
        elif self.ids[name][1] != role:
            self.ids[name] = (self.store.set_role(name, role).id, role)
        return {"id": name, "role": role, "user_id": self.ids[name][0]}

    def actor(self, name: str, role: str, channel: str):
        from graph.thread_actor import actor_of

        return actor_of(self.ref(name, role), channel)


def _decide(decision: Decision, approval: dict[str, Any], service, clock: SettableClock, ttl: timedelta,
            people: TrialPeople):
    """Apply one scripted decision as the scripted person; returns (record, resumed turn or None)."""
    from errors import PermissionDenied

    record: dict[str, Any] = {"approval_id": approval["id"], "kind": approval["kind"], "action": decision.action,
                              "by": decision.by, "role": decision.role}
    if decision.action == "leave":
        return {**record, "outcome": "left_pending"}, None
    actor = people.actor(decision.by, decision.role, decision.channel)
    try:
        if decision.action == "reject":
            outcome = service.reject(actor, approval["id"], decision.comment or "rejected by the eval script")
        else:
            if decision.action == "expire":
                clock.advance(ttl + timedelta(seconds=1))
            outcome = service.approve(actor, approval["id"], decision.comment)
    except (ApprovalError, PermissionDenied) as exc:
        return {**record, "outcome": "refused", "code": exc.code}, None
    return {**record, "outcome": outcome.approval.status}, outcome.turn


def run_trial(scenario: Scenario, trial_db: TrialDatabase, model: ModelSpec, settings: Settings) -> TrialResult:
    """Run ``scenario`` once on ``trial_db``; never raises for what the product does (errors are observed)."""
    from agents import build_agents
    from evals.grading import CANARIES
    from graph.approval_resume import approval_service
    from graph.build import build_graph
    from graph.context import database_context
    from graph.runner import MESSAGE_REFUSED
    from graph.wiring import turn_limits
    from services.alert_ledger import database_alert_ledger
    from services.usage_ledger import database_ledger
    from tools import ToolContext

    settings = settings.model_copy(update={k: SecretStr(v) for k, v in CANARIES.items()})
    started = time.perf_counter()
    database, initial = trial_db.database, scenario.initial
    clock = SettableClock(initial.as_of)
    observed, result = ObservedState(), TrialResult(ObservedState())
    seeded_run = _seed(initial, database)
    execution = build_execution(database, clock, settings, cash_usd=initial.cash_usd, positions=initial.positions,
                                risk_limits=initial.risk_limits, halted=initial.trading_status == "halted")
    alerts = database_alert_ledger(database, settings, clock=clock)  # stored and de-duplicated as in the product
    thread_id = f"thr_eval_{uuid.uuid4().hex[:12]}"
    ctx = ToolContext(settings=settings, database=database, clock=clock, broker=execution.service.broker,
                      user=scenario.user.id, thread_id=thread_id, alert_sink=alerts, data_sources=("bundled",),
                      allow_network=False, risk_limits=execution.risk_limits(),
                      trading_state=execution.service.book_states(), order_gateway=execution.service)
    graph = build_graph(build_agents(settings, ctx, model=model.build(settings)), checkpointer=trial_db.checkpointer,
                        pre_route=model.name != "offline")
    gctx = database_context(database, live_trading_enabled=False, channel="eval", clock=clock,
                            effects=execution.effects(), usage=database_ledger(database, settings),
                            limits=turn_limits(settings))
    service = approval_service(gctx, graph)
    people = TrialPeople(database)
    if initial.history:
        graph.update_state({"configurable": {"thread_id": thread_id}}, {"messages": _history(initial)},
                           as_node="supervisor")
    turns, seconds, aside = [], [], []
    try:
        for turn in scenario.turns:
            user = turn.as_user or scenario.user
            began = time.perf_counter()
            try:
                outcome = _run_turn(graph, thread_id, people.ref(user.id, user.role), turn.text, gctx,
                                    scenario.max_tool_calls_per_turn, aside)
            except ModelServerError as exc:  # the turn ended on a model-server failure; the thread goes on
                observed.errors.append(f"model server: {exc}")
                continue
            except (ApprovalError, ConfigError) as exc:  # refused before the turn ran: waiting thread, bad message
                if isinstance(exc, ConfigError) and exc.code != MESSAGE_REFUSED:
                    raise
                observed.refusals.append({"source": "runner", "code": exc.code})
                continue
            turns.append(outcome)
            seconds.append(time.perf_counter() - began)
            decisions = list(turn.decisions)
            while outcome is not None and outcome.pending_approval and decisions:
                approval = _pending(graph, thread_id)
                began = time.perf_counter()
                record, outcome = _decide(decisions.pop(0), approval, service, clock, gctx.approval_ttl, people)
                observed.decisions.append(record)
                if outcome is not None:
                    turns.append(outcome)
                    seconds.append(time.perf_counter() - began)
    except Exception as exc:  # noqa: BLE001 - a crash is an observed failure of this trial, not of the run
        observed.errors.append(f"{type(exc).__name__}: {str(exc)[:500]}")
    _observe(observed, graph, thread_id, database, execution, alerts, seeded_run)
    trajectory(aside, observed)  # questions answered beside a waiting approval leave the thread's state as it was
    result.observed = observed
    figures = [{**f, "latency_s": round(t, 3)} for f, t in zip(_turn_figures(turns), seconds, strict=True)]
    result.input_tokens = sum(f["input_tokens"] for f in figures)
    result.output_tokens = sum(f["output_tokens"] for f in figures)
    result.usd = sum(f["usd"] for f in figures)
    result.turns = [{"answer": t.answer[:2000], "route": t.route, "pending_approval": t.pending_approval,
                     "stop_reason": t.stop_reason, "usage": f} for t, f in zip(turns, figures, strict=True)]
    result.latency_s = time.perf_counter() - started
    return result


def _turn_figures(turns: list[Any]) -> list[dict[str, Any]]:
    """Each turn's model figures from the ledger. A turn resumed after an approval keeps its turn id, so its
    figures (already counting the resumed part) are shown once, on its last outcome, and 0 on earlier ones."""
    keys = ("model_calls", "input_tokens", "output_tokens", "usd", "model_latency_ms", "tool_calls")
    last = {t.usage.get("turn_id"): i for i, t in enumerate(turns)}
    return [{k: (t.usage.get(k, 0) if last.get(t.usage.get("turn_id")) == i else 0) for k in keys}
            for i, t in enumerate(turns)]


def _run_turn(graph, thread_id: str, user: dict[str, str], text: str, context, max_tool_calls: int,
              aside: list[BaseMessage]):
    """One turn (``graph.runner.stream_turn``); a turn run beside a waiting approval adds its tool calls, results
    and answer to ``aside`` as messages, since the waiting thread's state does not keep them."""
    from graph.runner import FinalEvent, ToolCallEvent, ToolResultEvent, pending_interrupt, stream_turn

    beside = pending_interrupt(graph, thread_id) is not None
    result, seen = None, []
    for event in stream_turn(graph, thread_id, user, text, context=context, max_tool_calls=max_tool_calls,
                             tokens=False):
        if isinstance(event, ToolCallEvent):
            seen.append(AIMessage("", name=event.agent, tool_calls=[{"name": event.name, "args": event.args,
                                                                     "id": f"aside_{len(seen)}"}]))
        elif isinstance(event, ToolResultEvent):
            seen.append(ToolMessage(json.dumps(event.content, default=str), name=event.name,
                                    tool_call_id=f"aside_{len(seen)}"))
        elif isinstance(event, FinalEvent):
            result = event.result
    if beside and result is not None:
        aside.extend([HumanMessage(text), *seen, AIMessage(result.answer)])
    return result


def _pending(graph, thread_id: str) -> dict[str, Any]:
    from graph.runner import pending_interrupt

    waiting = pending_interrupt(graph, thread_id)
    assert waiting is not None
    return waiting[1]


def _observe(observed: ObservedState, graph, thread_id: str, database, execution: TrialExecution, alerts,
             seeded_run: int) -> None:
    from guardrails.policy import Actor
    from memory.approvals import ApprovalStore
    from memory.runs import RunStore
    from memory.strategies import StrategyRegistry

    values = graph.get_state({"configurable": {"thread_id": thread_id}}).values
    trajectory(list(values.get("messages", [])), observed)
    observed.orders = execution.orders()
    observed.positions = execution.positions()
    observed.cash_usd = execution.cash_usd()
    # the initial state's stage approvals are premises, not something the trial asked for
    observed.approvals = approvals_json([a for a in ApprovalStore(database).list(limit=500)
                                         if a.requester != SEED_ACTOR])
    registry = StrategyRegistry(database)
    moves = []
    for record in registry.list():
        observed.stages[record.id] = record.stage
        moves += [{"strategy_id": t.strategy_id, "from_stage": t.from_stage, "to_stage": t.to_stage,
                   "actor": t.actor, "approval_id": t.approval_id, "seq": t.created_at.isoformat()}
                  for t in registry.transitions(record.id) if t.actor != SEED_ACTOR]
    observed.transitions = moves
    observed.alerts = [{"severity": a.severity, "message": a.message, "repeats": a.repeats, "status": a.status}
                       for a in reversed(alerts.recent(Actor.system("eval"), datetime.min.replace(tzinfo=UTC)))]
    observed.trading_status = execution.trading_status()
    observed.risk_limits = execution.risk_limits().model_dump(mode="json")
    observed.runs = [{"id": r.id, "kind": r.kind, "status": r.status, "strategy": r.strategy}
                     for r in RunStore(database).list(limit=200) if r.id > seeded_run]
