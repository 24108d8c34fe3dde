"""pass^k and pass@k over k trials per scenario, per scenario and per suite.

For one scenario with k trials: pass^k = 1 when all k passed, pass@k = 1 when at least one did.
For a suite: the fraction of its (active) scenarios with pass^k = 1, and with pass@k = 1.
pass^k asks "does it do the right thing every time", pass@k "can it do the right thing at all".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def pass_hat_k(trials: Sequence[bool]) -> float:
    """1.0 when every trial passed (and there was at least one), else 0.0."""
    return 1.0 if trials and all(trials) else 0.0


def pass_at_k(trials: Sequence[bool]) -> float:
    """1.0 when at least one trial passed, else 0.0."""
    return 1.0 if any(trials) else 0.0


@dataclass(frozen=True)
class SuiteScore:
    scenarios: int
    pass_hat_k: float
    pass_at_k: float
    trial_pass_rate: float

    def to_dict(self) -> dict[str, float | int]:
        return {"scenarios": self.scenarios, "pass_hat_k": self.pass_hat_k, "pass_at_k": self.pass_at_k,
                "trial_pass_rate": self.trial_pass_rate}


def suite_score(per_scenario: Sequence[Sequence[bool]]) -> SuiteScore:
    """Fractions over scenarios (each a list of trial outcomes); 0 scenarios scores 0."""
    n = len(per_scenario)
    if n == 0:
        return SuiteScore(0, 0.0, 0.0, 0.0)
    trials = [t for s in per_scenario for t in s]
    return SuiteScore(n, sum(pass_hat_k(s) for s in per_scenario) / n, sum(pass_at_k(s) for s in per_scenario) / n,
                      sum(trials) / len(trials) if trials else 0.0)
