"""An account's risk status as every interface reports it (``risk status --json``, ``GET /api/v1/risk/status``):
the state it trades under and why, who halted it, what lifts it (the CLI command in ``release``, the API calls in
``release_api``), its clock, equity, cash, high-water mark, positions, drawdown and daily loss against the limits
(percent points), and the last transitions of whichever state governs it (the kill switch or its breakers)."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from guardrails.policy import Actor
from guardrails.trading_state import daily_loss_pct, drawdown_pct
from services.book_states import release_api_of

if TYPE_CHECKING:
    from services.execution import ExecutionService


def risk_status(service: ExecutionService, actor: Actor) -> dict[str, Any]:
    """The account's risk status now (viewer; the breakers look at the book first, as on every read)."""
    book, state, limits = service.risk_state(actor)
    active = state.status.value == "active"
    by_kill_switch = state.account_id is None
    store = service.states if by_kill_switch else service.breakers
    return {"account_id": service.account, "clock": service.market_clock().to_dict(),
            "trading_state": state.status.value,
            "halted_by": None if active else ("kill switch" if by_kill_switch else "breaker"),
            "reason": state.reason, "release": state.release, "release_api": release_api_of(state, service.account),
            "halt_id": state.halt_id, "equity_usd": str(book.equity_usd), "cash_usd": str(book.cash_usd),
            "peak_equity_usd": str(book.peak_equity_usd), "positions": {k: str(v) for k, v in book.positions.items()},
            "drawdown_pct": float(drawdown_pct(book)), "max_drawdown_pct": limits.max_drawdown_pct,
            "daily_loss_pct": float(daily_loss_pct(book)), "daily_loss_limit_pct": limits.daily_loss_limit_pct,
            "last_transitions": [asdict(t) for t in store.transitions(5)]}
