"""Every state-changing service operation writes its audit row, in the same transaction as the change.

The list of operations comes from the policy table (``audited`` rules) and the services' ``@operation``
methods: a new audited operation or method without an exercise here fails ``test_every_audited_...``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from guardrails.policy import POLICY, Operation
from memory.audit import AuditLog, counting_appends
from tests.integration.execution.conftest import intent
from tests.support.people import ADA, ALICE, BOB, CAROL, DANA

# audited operations no service implements: settings come from the environment, never from a request
NOT_IMPLEMENTED = {Operation.CHANGE_SETTINGS}
# audited operations checked inside another one's implementation, and exercised through it
INSIDE = {Operation.FLATTEN_POSITIONS: "KillSwitchOperations.kill_switch_on",
          Operation.REQUEST_PROMOTION: "store_request", Operation.PLACE_ORDER: "store_request",
          Operation.PROPOSE_LIMIT_CHANGE: "store_request", Operation.REQUEST_RESUME: "store_request"}


def _import_services() -> None:
    import services.approvals  # noqa: F401
    import services.execution  # noqa: F401
    import services.limits  # noqa: F401
    import services.market_clock  # noqa: F401
    import services.strategies  # noqa: F401
    import services.users  # noqa: F401


@pytest.fixture()
def world(database, service, bars, paper_strategy):
    """The services on the test database: execution (a strategy at paper, bars), users, limits, strategies."""
    from memory.approvals import ApprovalStore
    from services.approvals import ApprovalService
    from services.limits import LimitService
    from services.market_clock import MarketClockService
    from services.strategies import StrategyService
    from services.users import UserService

    return {"execution": service, "users": UserService(database), "limits": LimitService(database),
            "clocks": MarketClockService(database),
            "strategies": StrategyService(database), "approvals": ApprovalService(ApprovalStore(database)),
            "database": database}


def _order(w) -> Any:
    return w["execution"].place(BOB, intent(qty=5))


def _resume_request(w) -> str:
    w["execution"].kill_switch_on(CAROL, reason="incident")
    return w["execution"].request_resume(CAROL, reason="fixed")


def _approved_resume(w) -> str:
    approval_id = _resume_request(w)
    w["approvals"].approve(ALICE, approval_id)
    return approval_id


def _proposal(w) -> tuple[str, str]:
    proposal, approval_id, _ = w["limits"].propose(BOB, {"max_open_positions": 7}, reason="fewer names")
    return proposal.proposal_id, approval_id


def _approved_proposal(w) -> str:
    proposal_id, approval_id = _proposal(w)
    w["approvals"].approve(ALICE, approval_id)
    return proposal_id


def _conversation_limit_request(w) -> Any:
    """A limit change as the chat's ``propose_risk_limit_change`` asks for it (stored by the graph, approved)."""
    from datetime import UTC, datetime, timedelta

    from guardrails.approvals import ApprovalRequest

    now = datetime.now(UTC)
    current = w["limits"].store.current().model_dump(mode="json")
    return ApprovalRequest(id="apr_chat_limits", kind="risk_limit", requester=BOB.name, requester_id=BOB.user_id,
                           channel="api", thread_id="thr_limits", summary="fewer names", created_at=now,
                           expires_at=now + timedelta(hours=1),
                           subject={"limit_change_id": "limits-chat", "proposal_id": "limits-chat",  # type: ignore
                                    "changes": {"max_open_positions": {"from": current["max_open_positions"],
                                                                       "to": 7}}},
                           evidence={"current": current})


def _promotion_request(w) -> Any:
    from datetime import UTC, datetime, timedelta

    from guardrails.approvals import ApprovalRequest

    record = w["strategies"].registry.get("trend")
    now = datetime.now(UTC)
    return ApprovalRequest(kind="live", requester=DANA.name, requester_id=DANA.user_id, channel="cli",
                           subject={"strategy_id": "trend", "version": record.version,
                                    "params_hash": record.params_hash, "from_stage": "paper", "to_stage": "live"},
                           created_at=now, expires_at=now + timedelta(days=1))


def _breaker_halt(w) -> None:
    """The account lost 20 % since its high-water mark: its drawdown breaker halts it."""
    w["execution"].book()
    with w["database"].engine.begin() as conn:
        conn.execute(text("UPDATE paper_accounts SET cash_usd = 80000"))
    w["execution"].trading_state(w["execution"].book())


def _approved_breaker_reset(w) -> str:
    _breaker_halt(w)
    approval_id = w["execution"].request_breaker_reset(BOB, reason="reviewed")
    w["approvals"].approve(ALICE, approval_id)
    return approval_id


# operation -> (set-up, the call under test); each call performs the operation once
EXERCISES: dict[str, tuple[Callable[[dict], Any], Callable[[dict, Any], Any]]] = {
    "UserService.add": (lambda w: None, lambda w, _: w["users"].add(ADA, "newbie", "trader")),
    "UserService.revoke": (lambda w: w["users"].store.add("leaver", "viewer"),
                           lambda w, _: w["users"].revoke(ADA, "leaver")),
    "UserService.set_role": (lambda w: w["users"].store.add("climber", "viewer"),
                             lambda w, _: w["users"].set_role(ADA, "climber", "trader")),
    "UserService.link_slack": (lambda w: w["users"].store.add("slacker", "trader"),
                               lambda w, _: w["users"].link_slack(ADA, "slacker", "U0SLACK01")),
    "UserService.unlink_slack": (lambda w: (w["users"].store.add("slacker", "trader"),
                                            w["users"].links.link("slacker", "U0SLACK01")),
                                 lambda w, _: w["users"].unlink_slack(ADA, "U0SLACK01")),
    "StrategyService.register": (lambda w: None,
                                 lambda w, _: w["strategies"].register(BOB, "audited_sma", "SMA", "sma_crossover",
                                                                       {"fast": 5, "slow": 20})),
    "ExecutionService.place": (lambda w: None, lambda w, _: _order(w)),
    "ExecutionService.place_fields": (lambda w: None, lambda w, _: w["execution"].place_fields(
        BOB, symbol="AAA", side="buy", qty="-3", strategy_id="manual", decision_key="bad")),
    "ExecutionService.cancel": (lambda w: w["execution"].place(BOB, intent(
        qty=5, key="resting", order_type="limit", limit_price=(w["execution"].broker.mark("AAA") * Decimal("0.97"))
        .quantize(Decimal("0.01")))),
                                lambda w, order: w["execution"].cancel(BOB, order.client_order_id)),
    "RecoveryOperations.reconcile": (lambda w: None, lambda w, _: w["execution"].reconcile(BOB)),
    "KillSwitchOperations.kill_switch_on": (lambda w: None, lambda w, _: w["execution"].kill_switch_on(
        CAROL, reason="drill", flatten=True)),
    "KillSwitchOperations.request_resume": (lambda w: w["execution"].kill_switch_on(CAROL, reason="incident"),
                                        lambda w, _: w["execution"].request_resume(CAROL, reason="fixed")),
    "KillSwitchOperations.resume": (_approved_resume, lambda w, approval_id: w["execution"].resume(CAROL, approval_id)),
    "BreakerOperations.request_breaker_reset": (_breaker_halt, lambda w, _: w["execution"].request_breaker_reset(
        BOB, reason="reviewed")),
    "BreakerOperations.reset_breaker": (_approved_breaker_reset,
                                       lambda w, approval_id: w["execution"].reset_breaker(BOB, approval_id)),
    "MarketClockService.advance": (lambda w: w["clocks"].clock(), lambda w, _: w["clocks"].advance(BOB)),
    "MarketClockService.set_to": (lambda w: w["clocks"].clock(), lambda w, clock: w["clocks"].set_to(
        BOB, None, clock.now)),
    "MarketClockService.use_real_time": (lambda w: w["clocks"].clock(),
                                         lambda w, _: w["clocks"].use_real_time(BOB)),
    "LimitService.propose": (lambda w: None, lambda w, _: _proposal(w)),
    "LimitService.apply": (_approved_proposal, lambda w, proposal_id: w["limits"].apply(BOB, proposal_id)),
    "LimitService.apply_requested": (_conversation_limit_request,
                                     lambda w, request: w["limits"].apply_requested(ALICE, request)),
    "store_request": (lambda w: None, lambda w, _: w["approvals"].request(DANA, _promotion_request(w))),
    "ApprovalService.approve": (_resume_request, lambda w, approval_id: w["approvals"].approve(ALICE, approval_id)),
    "ApprovalService.reject": (_resume_request,
                               lambda w, approval_id: w["approvals"].reject(ALICE, approval_id, "not yet")),
}


def _audited_implementations() -> dict[str, Operation]:
    from services.operations import IMPLEMENTATIONS

    _import_services()
    return {name: op for op, names in IMPLEMENTATIONS.items() if POLICY[op].audited for name in names}


def test_every_audited_operation_has_an_implementation_and_every_implementation_an_exercise():
    implemented = _audited_implementations()
    audited = {op for op, rule in POLICY.items() if rule.audited} - NOT_IMPLEMENTED

    assert audited <= set(implemented.values()) | set(INSIDE), sorted(audited - set(implemented.values()))
    assert set(implemented) | set(INSIDE.values()) <= set(EXERCISES), sorted(set(implemented) - set(EXERCISES))


@pytest.mark.parametrize("method", sorted(EXERCISES))
def test_each_state_changing_operation_writes_its_audit_row(world, method):
    prepare, call = EXERCISES[method]
    given = prepare(world)

    with counting_appends() as appended:
        call(world, given)

    assert appended.count >= 1, f"{method} changed state without an audit row"
    assert AuditLog(world["database"]).verify().ok


@contextmanager
def _refusing_audit(database):
    """The database refuses every new audit row (a trigger), as a full disk or a lost privilege would."""
    with database.engine.begin() as conn:
        conn.execute(text("CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS "
                          "$$ BEGIN RAISE EXCEPTION 'audit storage failed'; END $$"))
        conn.execute(text("CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW "
                          "EXECUTE FUNCTION test_refuse_audit()"))
    try:
        yield
    finally:
        with database.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER test_refuse_audit ON audit_log"))
            conn.execute(text("DROP FUNCTION test_refuse_audit()"))


@pytest.mark.parametrize("change", ["user", "limit proposal", "decision"])
def test_a_change_whose_audit_row_cannot_be_written_is_not_stored_either(world, change):
    """Same transaction: when the audit row fails, the change it records is not stored."""
    from errors import QuantpilotError

    approval_id = _resume_request(world) if change == "decision" else None
    tables = ("api_users", "risk_limit_proposals", "approval_requests", "approval_decisions")
    with world["database"].engine.connect() as conn:
        before = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}

    with _refusing_audit(world["database"]), pytest.raises((QuantpilotError, Exception)):
        if change == "user":
            world["users"].add(ADA, "ghost", "viewer")
        elif change == "limit proposal":
            world["limits"].propose(BOB, {"max_open_positions": 7})
        else:
            world["approvals"].approve(ALICE, approval_id)

    with world["database"].engine.connect() as conn:
        after = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}
    assert after == before
