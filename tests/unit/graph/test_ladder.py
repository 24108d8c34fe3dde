"""The promotion ladder: allowed moves, stage skips refused with a reason, entry criteria on evidence."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from guardrails.ladder import (
    LADDER,
    LadderCriteria,
    LadderRefusalCode,
    Stage,
    check_criteria,
    check_promotion,
    check_transition,
)

CRITERIA = LadderCriteria(min_oos_sharpe=0.8, min_trades=25, max_drawdown_pct=20.0, min_paper_days=15,
                          min_paper_return_pct=1.0)
GOOD_PAPER = {"oos_sharpe": 0.8, "trades": 25, "max_drawdown_pct": 20.0}  # exactly at every threshold
GOOD_LIVE = {"paper_days": 15, "paper_return_pct": 1.0}


def test_each_single_step_up_the_ladder_is_allowed():
    for lower, upper in zip(LADDER, LADDER[1:], strict=False):
        assert check_transition(lower, upper) is None


def test_a_transition_that_skips_a_stage_is_refused_naming_the_skipped_stages():
    refusal = check_transition("draft", "live")
    assert refusal.code == LadderRefusalCode.SKIPS_STAGE
    assert refusal.details == {"from": "draft", "to": "live", "next_allowed": "backtested",
                               "skipped": ["backtested", "paper"]}


@given(st.sampled_from(list(Stage)))
def test_halted_is_reachable_from_every_other_stage(stage):
    expected = LadderRefusalCode.SAME_STAGE if stage == Stage.HALTED else None
    refusal = check_transition(stage, "halted")
    assert (refusal.code if refusal else None) == expected


@given(st.sampled_from(LADDER), st.sampled_from(LADDER))
def test_only_one_step_up_is_ever_allowed_on_the_ladder(current, target):
    allowed = check_transition(current, target) is None
    assert allowed == (LADDER.index(target) == LADDER.index(current) + 1)


def test_a_halted_strategy_restarts_from_draft_only():
    assert check_transition("halted", "draft") is None
    assert check_transition("halted", "paper").code == LadderRefusalCode.HALTED


def test_unknown_stage_is_refused():
    assert check_transition("draft", "production").code == LadderRefusalCode.UNKNOWN_STAGE


def test_paper_entry_passes_exactly_at_the_thresholds():
    assert check_criteria("paper", GOOD_PAPER, CRITERIA) is None


def test_paper_entry_names_the_observed_value_and_threshold_of_the_failed_criterion():
    refusal = check_criteria("paper", {**GOOD_PAPER, "max_drawdown_pct": 20.5}, CRITERIA)
    assert refusal.code == LadderRefusalCode.CRITERION_NOT_MET
    assert refusal.details == {"field": "max_drawdown_pct", "observed": 20.5, "rule": "<=", "threshold": 20.0,
                               "stage": "paper"}


def test_drawdown_given_as_a_negative_percent_is_judged_by_its_size():
    assert check_criteria("paper", {**GOOD_PAPER, "max_drawdown_pct": -19.0}, CRITERIA) is None
    assert check_criteria("paper", {**GOOD_PAPER, "max_drawdown_pct": -21.0}, CRITERIA) is not None


def test_missing_evidence_is_refused_not_assumed():
    refusal = check_criteria("paper", {"oos_sharpe": 2.0, "max_drawdown_pct": 5.0}, CRITERIA)
    assert refusal.code == LadderRefusalCode.MISSING_EVIDENCE and refusal.details["field"] == "trades"


def test_live_entry_needs_the_paper_period_and_return():
    assert check_criteria("live", GOOD_LIVE, CRITERIA) is None
    short = check_criteria("live", {**GOOD_LIVE, "paper_days": 14}, CRITERIA)
    assert (short.details["field"], short.details["threshold"]) == ("paper_days", 15.0)


def test_promotion_checks_the_move_before_the_evidence():
    assert check_promotion("draft", "paper", GOOD_PAPER, CRITERIA).code == LadderRefusalCode.SKIPS_STAGE
    assert check_promotion("backtested", "paper", GOOD_PAPER, CRITERIA) is None
