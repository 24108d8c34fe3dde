"""The promotion ladder ``draft -> backtested -> paper -> live`` (and ``halted`` from anywhere).

Pure rules, no I/O: which stage transitions exist, which need which approval kind, and the
configurable entry criteria evaluated on evidence passed in. A refusal is a value
(``LadderRefusal``: an enum code plus a details dict), never free text to match on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from quant.display import number


class Stage(StrEnum):
    DRAFT = "draft"
    BACKTESTED = "backtested"
    PAPER = "paper"
    LIVE = "live"
    HALTED = "halted"


LADDER: tuple[Stage, ...] = (Stage.DRAFT, Stage.BACKTESTED, Stage.PAPER, Stage.LIVE)

# promotion target -> the approval kind that gates it
APPROVAL_KIND_FOR_STAGE: dict[Stage, str] = {
    Stage.BACKTESTED: "strategy",
    Stage.PAPER: "paper",
    Stage.LIVE: "live",
}


class LadderRefusalCode(StrEnum):
    UNKNOWN_STAGE = "unknown_stage"
    SAME_STAGE = "same_stage"
    SKIPS_STAGE = "skips_stage"
    NOT_A_PROMOTION = "not_a_promotion"
    HALTED = "halted"
    MISSING_EVIDENCE = "missing_evidence"
    CRITERION_NOT_MET = "criterion_not_met"


@dataclass(frozen=True)
class LadderRefusal:
    """Why a transition is refused: ``code`` plus the facts (observed value, threshold, stages)."""

    code: LadderRefusalCode
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The refusal in a sentence people read (the code and facts stay in ``code``/``details``)."""
        d, code = self.details, self.code
        if code is LadderRefusalCode.UNKNOWN_STAGE:
            return f"{d.get('stage')!r} is not a stage; the stages are {', '.join(s.value for s in Stage)}"
        if code is LadderRefusalCode.SAME_STAGE:
            return f"it is already at {d.get('stage')}"
        if code is LadderRefusalCode.SKIPS_STAGE:
            return (f"it is at {d.get('from')} and a promotion moves one step: {d.get('next_allowed')} comes "
                    f"before {d.get('to')}")
        if code is LadderRefusalCode.NOT_A_PROMOTION:
            return f"{d.get('to')} comes before {d.get('from')}, so that is not a promotion"
        if code is LadderRefusalCode.HALTED:
            return "it is halted; from halted it can only start again at draft"
        if code is LadderRefusalCode.MISSING_EVIDENCE:
            return f"the evidence does not include {_EVIDENCE_WORDS.get(str(d.get('field')), d.get('field'))}"
        if code is LadderRefusalCode.CRITERION_NOT_MET:
            field, bound = str(d.get("field")), "at least" if d.get("rule") == ">=" else "at most"
            return (f"{_EVIDENCE_WORDS.get(field, field)} is {number(d.get('observed'))}, and {d.get('stage')} needs "
                    f"{bound} {number(d.get('threshold'))}")
        return code.value


# evidence fields in words (LadderCriteria names them without the min_/max_ prefix)
_EVIDENCE_WORDS = {"oos_sharpe": "the out-of-sample Sharpe (from a walk-forward run)", "trades": "the trade count",
                   "max_drawdown_pct": "the max drawdown in percent", "paper_days": "the days in paper trading",
                   "paper_return_pct": "the paper return in percent"}


class LadderCriteria(BaseModel):
    """Entry criteria per stage; evidence keys use the same names without the ``min_/max_`` prefix.

    Paper: ``oos_sharpe`` (annualised, out-of-sample walk-forward), ``trades`` (count),
    ``max_drawdown_pct`` (percent, positive number). Live: ``paper_days`` (calendar days in
    paper trading) and ``paper_return_pct`` (percent over the paper period).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_oos_sharpe: float = Field(default=0.5, description="minimum out-of-sample Sharpe for paper")
    min_trades: int = Field(default=30, ge=0, description="minimum backtest trade count for paper")
    max_drawdown_pct: float = Field(default=25.0, gt=0, description="maximum backtest drawdown for paper, percent")
    min_paper_days: int = Field(default=20, ge=0, description="minimum days in paper before live")
    min_paper_return_pct: float = Field(default=0.0, description="minimum paper return before live, percent")


def parse_stage(value: str) -> Stage | LadderRefusal:
    try:
        return Stage(str(value).lower())
    except ValueError:
        return LadderRefusal(LadderRefusalCode.UNKNOWN_STAGE, {"stage": value, "known": [s.value for s in Stage]})


def check_transition(current: str, target: str) -> LadderRefusal | None:
    """None when ``current -> target`` is an allowed move; a refusal saying why otherwise.

    Allowed: one step up the ladder, ``halted`` from anywhere, ``halted -> draft`` (start again).
    """
    cur, tgt = parse_stage(current), parse_stage(target)
    for parsed in (cur, tgt):
        if isinstance(parsed, LadderRefusal):
            return parsed
    assert isinstance(cur, Stage) and isinstance(tgt, Stage)
    if cur == tgt:
        return LadderRefusal(LadderRefusalCode.SAME_STAGE, {"stage": cur.value})
    if tgt == Stage.HALTED:
        return None
    if cur == Stage.HALTED:
        if tgt == Stage.DRAFT:
            return None
        return LadderRefusal(LadderRefusalCode.HALTED, {"from": cur.value, "to": tgt.value, "allowed": ["draft"]})
    i, j = LADDER.index(cur), LADDER.index(tgt)
    if j < i:
        return LadderRefusal(LadderRefusalCode.NOT_A_PROMOTION, {"from": cur.value, "to": tgt.value})
    if j > i + 1:
        return LadderRefusal(
            LadderRefusalCode.SKIPS_STAGE,
            {"from": cur.value, "to": tgt.value, "next_allowed": LADDER[i + 1].value,
             "skipped": [s.value for s in LADDER[i + 1 : j]]},
        )
    return None


def _number(evidence: dict[str, Any], key: str) -> float | LadderRefusal:
    value = evidence.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return LadderRefusal(LadderRefusalCode.MISSING_EVIDENCE, {"field": key, "got": value})
    return float(value)


def check_criteria(target: str, evidence: dict[str, Any], criteria: LadderCriteria) -> LadderRefusal | None:
    """None when ``evidence`` meets the entry criteria of ``target``; the first unmet criterion otherwise."""
    stage = parse_stage(target)
    if isinstance(stage, LadderRefusal):
        return stage
    if stage == Stage.PAPER:
        checks = [
            ("oos_sharpe", ">=", criteria.min_oos_sharpe),
            ("trades", ">=", float(criteria.min_trades)),
            ("max_drawdown_pct", "<=", criteria.max_drawdown_pct),
        ]
    elif stage == Stage.LIVE:
        checks = [
            ("paper_days", ">=", float(criteria.min_paper_days)),
            ("paper_return_pct", ">=", criteria.min_paper_return_pct),
        ]
    else:
        return None
    for key, op, threshold in checks:
        observed = _number(evidence, key)
        if isinstance(observed, LadderRefusal):
            return observed
        ok = observed >= threshold if op == ">=" else abs(observed) <= threshold
        if not ok:
            return LadderRefusal(
                LadderRefusalCode.CRITERION_NOT_MET,
                {"field": key, "observed": observed, "rule": op, "threshold": threshold, "stage": stage.value},
            )
    return None


def check_promotion(
    current: str, target: str, evidence: dict[str, Any], criteria: LadderCriteria
) -> LadderRefusal | None:
    """Transition rule first, then the target's entry criteria."""
    return check_transition(current, target) or check_criteria(target, evidence, criteria)
