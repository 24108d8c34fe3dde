"""The trading state one paper account trades under, as the agents' tools read it, and how a person lifts a halt.

``BookStates`` is the ``tools.context.TradingStateStore`` of one account: ``current()`` is the global kill switch
when it is engaged, else the account's breakers (with ``release`` filled in); ``save`` stores a state in its own
scope. ``release_of`` names the exact command that lifts a halt, so every refusal caused by one can say it;
``release_api_of`` names the same steps as API calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from guardrails.trading_state import GLOBAL_SCOPE, TradingState
from quant.risk.decision import TradingStatus
from services.breakers import breaker_release, breaker_release_api

if TYPE_CHECKING:
    from services.execution import ExecutionService

KILL_SWITCH_RELEASE = ('quantpilot kill-switch request-off --reason "…" (another approver approves it, then: '
                       "quantpilot kill-switch off --approval ID)")
KILL_SWITCH_RELEASE_API = ('POST /api/v1/risk/kill-switch/release-request {"reason": "…"} (another approver: '
                           'POST /api/v1/approvals/ID/approve), then POST /api/v1/risk/kill-switch/release '
                           '{"approval_id": "ID"}')


def release_of(state: TradingState, account: str) -> str:
    """The command that lifts ``state`` for ``account`` ("" when it is ACTIVE)."""
    return _release(state, account, KILL_SWITCH_RELEASE, breaker_release)


def release_api_of(state: TradingState, account: str) -> str:
    """``release_of`` as the API calls that lift ``state`` for ``account`` ("" when it is ACTIVE)."""
    return _release(state, account, KILL_SWITCH_RELEASE_API, breaker_release_api)


def _release(state: TradingState, account: str, kill_switch: str, breaker: Callable[[str], str]) -> str:
    if state.status is TradingStatus.ACTIVE:
        return ""
    if state.scope == GLOBAL_SCOPE:
        return kill_switch
    if state.status is TradingStatus.REDUCING:
        return f"it lifts at the next session by itself, or at once: {breaker(account)}"
    return breaker(account)


class BookStates:
    """Current/save of the state ``service``'s account trades under (see the module docstring)."""

    def __init__(self, service: ExecutionService) -> None:
        self.service = service

    def current(self) -> TradingState:
        return self.service.trading_state()

    def save(self, state: TradingState) -> None:
        """Store ``state`` in its scope (the kill switch, or this account's breakers), audited as quantpilot."""
        from guardrails.policy import Actor

        self.service._save_state(state, Actor.system("tools"))
