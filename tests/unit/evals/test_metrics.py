"""pass^k and pass@k arithmetic, checked against hand-counted cases and as invariants."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from evals.metrics import pass_at_k, pass_hat_k, suite_score


def test_pass_hat_k_needs_every_trial_and_pass_at_k_needs_one():
    assert pass_hat_k([True, True, True]) == 1.0
    assert pass_hat_k([True, False, True]) == 0.0
    assert pass_at_k([False, False, True]) == 1.0
    assert pass_at_k([False, False, False]) == 0.0


def test_no_trials_is_not_a_pass():
    assert pass_hat_k([]) == 0.0 and pass_at_k([]) == 0.0


def test_suite_scores_are_fractions_of_scenarios():
    # scenario 1 passes 3/3, scenario 2 passes 1/3, scenario 3 passes 0/3, scenario 4 passes 3/3:
    # pass^k = 2/4 (1 and 4), pass@k = 3/4 (1, 2, 4), trials passed = 7/12
    score = suite_score([[True] * 3, [False, True, False], [False] * 3, [True] * 3])
    assert (score.scenarios, score.pass_hat_k, score.pass_at_k) == (4, 0.5, 0.75)
    assert abs(score.trial_pass_rate - 7 / 12) < 1e-12


def test_an_empty_suite_scores_zero():
    assert suite_score([]).to_dict() == {"scenarios": 0, "pass_hat_k": 0.0, "pass_at_k": 0.0, "trial_pass_rate": 0.0}


@given(st.integers(1, 8).flatmap(lambda k: st.lists(st.lists(st.booleans(), min_size=k, max_size=k),
                                                     min_size=1, max_size=20)))
def test_pass_hat_k_never_exceeds_trial_rate_which_never_exceeds_pass_at_k(outcomes):
    # the runner gives every scenario the same k trials
    score = suite_score(outcomes)
    assert score.pass_hat_k <= score.trial_pass_rate + 1e-12
    assert score.trial_pass_rate <= score.pass_at_k + 1e-12
