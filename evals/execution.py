"""The execution path a trial runs against: the product's own ``services.execution_path.execution_service``
(``ExecutionService`` over the Postgres ``PaperBroker``) on the trial's database, with the trial's clock.

Only the initial state is written directly (it is the scenario's premise, not an action under test):
the paper account's cash, positions bought at the last stored close, the risk limits in force and,
for a halted start, the kill switch engaged through the service. Everything the agents do afterwards
goes through ``ExecutionService`` and the graph's approval effects (``services.approvals
.execution_effects``); grading reads back orders, positions, cash, trading status and limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from config import Settings, TradingMode
from guardrails.policy import Actor
from guardrails.risk_policy import RiskLimits
from memory.db import Database
from memory.orders import OrderRepository
from services.execution import ExecutionService

SEED_ACTOR = "eval-seed"
ACCOUNT_ID = "paper"  # the account execution_service's PaperBroker books to


def _seed_limits(database: Database, limits: RiskLimits, approval_id: str = SEED_ACTOR) -> None:
    from memory.models.execution import RiskLimitsRow

    with database.session() as s:
        row = s.get(RiskLimitsRow, 1, with_for_update=True)
        if row is None:
            s.add(RiskLimitsRow(id=1, limits=limits.model_dump(mode="json"), approval_id=approval_id))
        else:
            row.limits, row.approval_id = limits.model_dump(mode="json"), approval_id


def _seed_account(service: ExecutionService, cash_usd: float, positions: dict[str, float]) -> None:
    """The paper account with ``cash_usd`` left after buying ``positions`` (shares) at their last close."""
    from memory.models.execution import PaperAccountRow, PositionRow

    marks = {s.upper(): service.broker.mark(s.upper()) for s in positions}
    held = {s.upper(): Decimal(str(q)) for s, q in positions.items() if q}
    cost = {s: q * marks[s] for s, q in held.items()}
    cash = Decimal(str(cash_usd))
    with service.database.session() as s:
        s.add(PaperAccountRow(account_id=ACCOUNT_ID, starting_cash_usd=cash + sum(cost.values(), Decimal(0)),
                              cash_usd=cash, fees_paid_usd=Decimal(0), realized_pnl_usd=Decimal(0), next_order_no=1))
        for symbol, qty in held.items():
            s.add(PositionRow(account_id=ACCOUNT_ID, symbol=symbol, qty=qty, cost_usd=cost[symbol]))


@dataclass
class TrialExecution:
    """The trial's ``ExecutionService`` and what grading reads back from Postgres."""

    service: ExecutionService
    backend: str = "execution_service"

    @property
    def database(self) -> Database:
        return self.service.database

    def orders(self) -> list[dict[str, Any]]:
        """Every order the execution path recorded (seed positions are not orders)."""
        out = []
        for record in OrderRepository(self.database).list(limit=500):
            order = record.order
            out.append({"client_order_id": order.client_order_id, "symbol": order.intent.symbol,
                        "side": order.intent.side.value, "qty": float(order.intent.qty),
                        "strategy_id": order.intent.strategy_id, "status": order.status.value,
                        "filled_qty": float(order.filled_qty)})
        return sorted(out, key=lambda o: o["client_order_id"])

    def positions(self) -> dict[str, float]:
        return {p.symbol: float(p.qty) for p in self.service.broker.get_positions() if p.qty}

    def cash_usd(self) -> float:
        return float(self.service.broker.get_account().cash_usd)

    def trading_status(self) -> str:
        return self.service.trading_state().status.value

    def risk_limits(self) -> RiskLimits:
        return self.service.limits.current()

    def effects(self) -> dict[str, Any]:
        """The product's approval effects on this service, a limit change included (``graph.wiring``'s)."""
        from services.approval_effects import execution_effects, limit_change_effect
        from services.limits import LimitService

        return execution_effects(self.service, apply_limits=limit_change_effect(LimitService(self.database)))


def build_execution(database: Database, clock: Any, settings: Settings, *, cash_usd: float,
                    positions: dict[str, float], risk_limits: dict[str, Any], halted: bool) -> TrialExecution:
    """``execution_service`` in paper mode on the trial's database and clock, seeded with the initial state."""
    from services.execution_path import execution_service

    paper = settings.model_copy(update={"trading_mode": TradingMode.PAPER, "live_trading": False})
    service = execution_service(database, paper, clock=clock)  # as the product graph
    _seed_limits(database, RiskLimits(**risk_limits))
    _seed_account(service, cash_usd, positions)
    if halted:
        service.kill_switch_on(Actor.system(SEED_ACTOR), reason="initial state: halted")
    return TrialExecution(service)

