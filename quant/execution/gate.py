"""The execution gate: the one place that decides whether an order may reach a paper or live broker.

An order reaches such a broker only through ``GatedBroker.submit(authorized)``, and an ``Authorized``
value is made only by ``ExecutionGate.authorize`` when (1) the risk policy approved this very intent,
(2) a stored human approval covers it (the strategy's stage or this single order), (3) trading is not
HALTED (kill-switch flatten orders excepted) and (4) for live, live trading is enabled.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from errors import ApprovalError
from quant.execution.broker import BrokerClient, BrokerMode
from quant.execution.exactly_once import OrderOutbox, submit_exactly_once
from quant.execution.orders import Order, OrderIntent
from quant.risk.decision import Approved, RiskDecision, TradingStatus

KILL_SWITCH_STRATEGY_ID = "kill-switch"
_GATE_KEY = object()  # only this module holds it, so only the gate can mint Authorized values
_GATE_SECRET = secrets.token_bytes(32)  # per process: a copied/altered authorization fails the MAC
_MODE_RANK = {BrokerMode.BACKTEST: 0, BrokerMode.PAPER: 1, BrokerMode.LIVE: 2}


class ApprovalScope(StrEnum):
    STAGE = "stage"  # subject = strategy_id, stage = highest mode approved
    ORDER = "order"  # subject = client_order_id
    KILL_SWITCH = "kill_switch"  # subject = halt event id; covers that halt's flatten orders
    RISK_LIMIT = "risk_limit"  # subject = limit-change proposal id; never covers an order


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Approval:
    """A stored human decision, as the approval service hands it to the gate."""

    approval_id: str
    scope: ApprovalScope
    subject: str
    status: ApprovalStatus
    approver: str
    stage: BrokerMode | None = None
    decided_at: datetime | None = None


class TradingStateView(Protocol):
    """What the gate reads of the trading state (``guardrails.trading_state.TradingState`` fits)."""

    @property
    def status(self) -> TradingStatus: ...

    @property
    def halt_id(self) -> str | None: ...

    def allows_flatten(self, client_order_id: str) -> bool: ...


class DenyCode(StrEnum):
    RISK_NOT_PASSED = "RISK_NOT_PASSED"
    RISK_DECISION_MISMATCH = "RISK_DECISION_MISMATCH"
    STALE_RISK_DECISION = "STALE_RISK_DECISION"
    APPROVAL_MISSING = "APPROVAL_MISSING"
    APPROVAL_NOT_GRANTED = "APPROVAL_NOT_GRANTED"
    APPROVAL_DOES_NOT_COVER = "APPROVAL_DOES_NOT_COVER"
    TRADING_HALTED = "TRADING_HALTED"
    LIVE_DISABLED = "LIVE_DISABLED"


@dataclass(frozen=True)
class Denied:
    code: DenyCode
    detail: str


def _seal(intent: OrderIntent, mode: BrokerMode, approval_id: str | None) -> str:
    """HMAC-SHA-256 over every field of the intent, the mode and the approval: binds exactly this order."""
    message = f"{intent!r}|{mode.value}|{approval_id}".encode()
    return hmac.new(_GATE_SECRET, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Authorized:
    """Proof that the gate passed ``intent`` for ``mode``; only ``ExecutionGate`` can construct it."""

    intent: OrderIntent
    mode: BrokerMode
    approval_id: str | None
    seal: str
    _key: object = field(repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if self._key is not _GATE_KEY:
            raise ApprovalError("Authorized can only be created by ExecutionGate.authorize")


class ExecutionGate:
    """Encodes the invariant; stateless, so one instance serves every caller."""

    def authorize(self, intent: OrderIntent, *, risk_decision: RiskDecision, approval: Approval | None,
                  trading_state: TradingStateView, mode: BrokerMode,
                  live_enabled: bool = False) -> Authorized | Denied:
        cid = intent.client_order_id
        if not isinstance(risk_decision, Approved):
            codes = ",".join(getattr(risk_decision, "codes", ()))
            return Denied(DenyCode.RISK_NOT_PASSED, f"risk policy rejected {cid}: {codes}")
        if risk_decision.client_order_id != cid:
            return Denied(DenyCode.RISK_DECISION_MISMATCH,
                          f"risk decision is for {risk_decision.client_order_id}, not {cid}")
        status = trading_state.status
        flatten = status is TradingStatus.HALTED and trading_state.allows_flatten(cid)
        if status is TradingStatus.HALTED and not flatten:
            return Denied(DenyCode.TRADING_HALTED, f"trading is halted; {cid} refused")
        if status is TradingStatus.REDUCING and not risk_decision.reduces_exposure:
            return Denied(DenyCode.STALE_RISK_DECISION,
                          f"trading is reducing-only and {cid} was not checked as exposure-reducing")
        if mode is BrokerMode.LIVE and not live_enabled:
            return Denied(DenyCode.LIVE_DISABLED, "live trading is not enabled in configuration")
        if mode is not BrokerMode.BACKTEST:
            denied = self._check_approval(intent, approval, trading_state, mode, flatten)
            if denied is not None:
                return denied
        approval_id = approval.approval_id if approval else None
        return Authorized(intent=intent, mode=mode, approval_id=approval_id,
                          seal=_seal(intent, mode, approval_id), _key=_GATE_KEY)

    @staticmethod
    def _check_approval(intent: OrderIntent, approval: Approval | None, state: TradingStateView,
                        mode: BrokerMode, flatten: bool) -> Denied | None:
        cid = intent.client_order_id
        if approval is None:
            return Denied(DenyCode.APPROVAL_MISSING, f"no stored human approval covers {cid} for {mode.value}")
        if approval.status is not ApprovalStatus.APPROVED:
            return Denied(DenyCode.APPROVAL_NOT_GRANTED,
                          f"approval {approval.approval_id} is {approval.status.value}, not approved")
        if approval.scope is ApprovalScope.ORDER:
            covers = approval.subject == cid
        elif approval.scope is ApprovalScope.STAGE:
            covers = (approval.subject == intent.strategy_id and approval.stage is not None
                      and _MODE_RANK[approval.stage] >= _MODE_RANK[mode])
        else:
            covers = flatten and state.halt_id is not None and approval.subject == state.halt_id
        if not covers:
            return Denied(DenyCode.APPROVAL_DOES_NOT_COVER,
                          f"approval {approval.approval_id} ({approval.scope.value} {approval.subject}) "
                          f"does not cover {cid} of strategy {intent.strategy_id} in {mode.value}")
        return None


class GatedBroker:
    """The only path from the agent side to a broker: accepts ``Authorized`` values, never raw intents."""

    def __init__(self, broker: BrokerClient, outbox: OrderOutbox) -> None:
        self._broker = broker
        self._outbox = outbox

    @property
    def mode(self) -> BrokerMode:
        return self._broker.mode

    def submit(self, authorized: Authorized) -> Order:
        """Submit exactly once; refuses forged, altered or wrong-mode authorizations with ``ApprovalError``."""
        if not isinstance(authorized, Authorized) or authorized._key is not _GATE_KEY:
            raise ApprovalError("GatedBroker.submit needs an Authorized value from ExecutionGate")
        expected = _seal(authorized.intent, authorized.mode, authorized.approval_id)
        if not hmac.compare_digest(authorized.seal, expected):
            raise ApprovalError(f"authorization does not match order {authorized.intent.client_order_id}")
        if authorized.mode is not self._broker.mode:
            raise ApprovalError(f"authorized for {authorized.mode.value}, broker is {self._broker.mode.value}")
        return submit_exactly_once(authorized.intent, self._outbox, self._broker)

    def cancel(self, broker_order_id: str) -> None:
        """Cancels only reduce risk, so they need no authorization."""
        self._broker.cancel_order(broker_order_id)
