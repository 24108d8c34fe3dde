"""State reducers (merge by id) and the pure approval checks run on resume."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from graph.state import append_route, merge_by_id
from guardrails.approvals import ApprovalDecision, ApprovalRequest, RevalidationCode, check_current, revalidate

T0 = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)


def test_records_with_a_known_id_are_updated_in_place_and_new_ids_appended():
    left = [{"id": "o1", "qty": 10, "status": "new"}, {"id": "o2", "qty": 5}]
    merged = merge_by_id(left, [{"id": "o1", "status": "filled"}, {"id": "o3", "qty": 1}])
    assert merged == [{"id": "o1", "qty": 10, "status": "filled"}, {"id": "o2", "qty": 5}, {"id": "o3", "qty": 1}]


def test_a_record_without_id_is_refused():
    with pytest.raises(ValueError, match="needs an 'id'"):
        merge_by_id([], [{"qty": 1}])


@given(st.lists(st.dictionaries(st.sampled_from(["a", "b"]), st.integers()), max_size=6),
       st.lists(st.sampled_from(["x", "y", "z"]), max_size=8))
def test_merging_by_id_keeps_one_record_per_id_in_first_seen_order(payloads, ids):
    records = [{**p, "id": i} for p, i in zip(payloads, ids, strict=False)]
    merged = merge_by_id([], records)
    assert [r["id"] for r in merged] == list(dict.fromkeys(r["id"] for r in records))


def test_route_appends_in_order():
    assert append_route(["supervisor"], ["risk", "risk_tools"]) == ["supervisor", "risk", "risk_tools"]


def _request(kind="paper", **subject) -> ApprovalRequest:
    base = {"strategy_id": "s1", "version": 2, "params_hash": "abc", "from_stage": "backtested", "to_stage": "paper"}
    return ApprovalRequest(kind=kind, subject={**base, **subject}, requester="alice", channel="cli",
                           created_at=T0, expires_at=T0 + timedelta(hours=1))


def _decision(request, verdict="approved", approver="bob") -> ApprovalDecision:
    return ApprovalDecision(approval_id=request.id, verdict=verdict, approver=approver, channel="cli",
                            decided_at=T0)


def test_a_strategy_approval_must_name_version_and_params_hash():
    with pytest.raises(ValidationError, match="params_hash"):
        ApprovalRequest(kind="paper", subject={"strategy_id": "s1", "version": 1}, requester="a", channel="cli",
                        created_at=T0, expires_at=T0 + timedelta(hours=1))


def test_an_approval_holds_before_expiry_and_not_at_or_after_it():
    request = _request()
    current = {"version": 2, "params_hash": "abc", "stage": "backtested"}
    kwargs = {"current": current, "live_trading_enabled": False}
    assert revalidate(request, _decision(request), now=T0 + timedelta(minutes=59), **kwargs) is None
    expired = revalidate(request, _decision(request), now=T0 + timedelta(hours=1), **kwargs)
    assert expired.code == RevalidationCode.EXPIRED


def test_a_changed_version_makes_the_evidence_stale():
    problem = check_current(_request(), {"version": 3, "params_hash": "abc", "stage": "backtested"})
    assert problem.code == RevalidationCode.STALE_EVIDENCE
    assert problem.details["changed"] == {"version": {"requested": 2, "now": 3}}


def test_a_live_approval_needs_live_trading_and_a_second_person():
    request = _request("live", from_stage="paper", to_stage="live")
    current = {"version": 2, "params_hash": "abc", "stage": "paper"}
    off = revalidate(request, _decision(request), now=T0, current=current, live_trading_enabled=False)
    own = revalidate(request, _decision(request, approver="alice"), now=T0, current=current,
                     live_trading_enabled=True)
    other = revalidate(request, _decision(request, approver="bob"), now=T0, current=current,
                       live_trading_enabled=True)
    assert (off.code, own.code, other) == (RevalidationCode.LIVE_TRADING_DISABLED, RevalidationCode.SELF_APPROVAL,
                                           None)


def test_a_decision_for_another_request_is_refused():
    request, other = _request(), _request()
    problem = revalidate(request, _decision(other), now=T0, current=None, live_trading_enabled=False)
    assert problem.code == RevalidationCode.WRONG_REQUEST
