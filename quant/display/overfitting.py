""""Is this result luck?" in plain words: what the deflated Sharpe ratio and the probability of backtest
overfitting (PBO) of a parameter search say about *this* result, and what to do next.

Reads the overfitting block of a grid or walk-forward (``deflated_sharpe``: probability in [0, 1] that the best
set's Sharpe beats the best of ``n_trials`` unskilled tries; ``pbo``: fraction of CSCV splits whose in-sample
winner ranks at or below the out-of-sample median; ``oos_deflated_sharpe``: the same test on a walk-forward's
stitched out-of-sample returns)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quant.display import numbers

SIGNIFICANT = 0.95  # a deflated Sharpe probability at or above this clears the bar
OVERFIT = 0.5  # a PBO at or above this: the in-sample winner is no better than a coin flip out of sample


def _p(value: Any) -> str:
    """A probability to two decimals, or three when two would round it onto the bar it misses (0.9497)."""
    text = numbers.number(value, 2)
    try:
        below = float(value) < SIGNIFICANT and text == numbers.number(SIGNIFICANT, 2)
    except (TypeError, ValueError):
        return text
    return numbers.number(value, 3) if below else text


def _sets(n: Any) -> str:
    text = numbers.count(n)
    return f"{text} parameter set" if text == "1" else f"{text} parameter sets"


def overfitting_headline(block: Mapping[str, Any] | None) -> str:
    """``PBO 66% · deflated Sharpe p = 1.00 over 90 parameter sets`` (and the out-of-sample p when present)."""
    if not block:
        return numbers.DASH
    pbo = block.get("pbo")
    parts = [f"PBO {numbers.percent(pbo, 0)}" if pbo is not None else "PBO n/a",
             f"deflated Sharpe p = {_p(block.get('deflated_sharpe'))} over {_sets(block.get('n_trials'))}"]
    if block.get("oos_deflated_sharpe") is not None:
        parts.append(f"out-of-sample p = {_p(block['oos_deflated_sharpe'])}")
    return " · ".join(parts)


def _edge(dsr: float, trials: str) -> str:
    if dsr >= SIGNIFICANT:
        return (f"The best set's Sharpe is above what the best of {trials} random tries would reach "
                f"(deflated Sharpe p = {_p(dsr)}), so the strategy likely has an edge on this data")
    return (f"A Sharpe this high is within what the best of {trials} random tries would reach "
            f"(deflated Sharpe p = {_p(dsr)}, below {_p(SIGNIFICANT)})")


def _selection(pbo: float | None) -> str:
    if pbo is None:
        return "the probability of overfitting could not be measured"
    if pbo >= OVERFIT:
        return (f"the choice among the sets is overfit: in {numbers.percent(pbo, 0)} of the splits the "
                "in-sample winner did worse than the median set out of sample")
    return (f"the in-sample winner stayed above the median out of sample in {numbers.percent(1 - pbo, 0)} of the "
            "splits (PBO " + numbers.percent(pbo, 0) + ")")


def _next_step(dsr: float, pbo: float | None, walk_forward: bool) -> str:
    overfit = pbo is not None and pbo >= OVERFIT
    if dsr >= SIGNIFICANT and not overfit:
        return ("Next: paper trade it and watch that live results stay near the out-of-sample ones."
                if walk_forward else "Next: confirm it out of sample with a walk-forward before paper trading.")
    if dsr >= SIGNIFICANT:
        return ("Expect the chosen parameters to do no better than a typical set: prefer a broad plateau of good "
                "sets in the heatmap over the single best, search fewer sets, and judge by out-of-sample results.")
    if overfit:
        return "Likely luck: do not trade it; the search found noise."
    return ("Do not trade on it yet: test a longer history or more symbols, or search fewer parameter sets.")


def overfitting_conclusion(block: Mapping[str, Any] | None) -> str:
    """A few plain sentences: is this luck, why, and what to do next; an em dash without a block."""
    if not block:
        return numbers.DASH
    dsr = block.get("deflated_sharpe")
    trials = numbers.count(block.get("n_trials"))
    if dsr is None:
        return f"Too few returns to judge whether the best of {trials} parameter sets is luck. " + (
            block.get("pbo_note") or "Run the search over a longer history.")
    pbo = block.get("pbo")
    walk_forward = block.get("oos_deflated_sharpe") is not None
    contrast = (dsr >= SIGNIFICANT) == (pbo is not None and pbo >= OVERFIT)
    text = f"{_edge(dsr, trials)}{', but ' if contrast else '; '}{_selection(pbo)}."
    if walk_forward:
        oos = block["oos_deflated_sharpe"]
        text += (" The walk-forward's stitched out-of-sample returns "
                 + ("clear the same bar" if oos >= SIGNIFICANT else "do not clear the same bar")
                 + f" (p = {_p(oos)}).")
        if oos < SIGNIFICANT:
            return text + " Out of sample this looks like luck: do not promote it on this evidence."
    return f"{text} {_next_step(dsr, pbo, walk_forward)}"
