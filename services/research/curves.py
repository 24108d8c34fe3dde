"""Account curves of a run: the whole account and each symbol's sleeve of it, in dollars that add up."""

from __future__ import annotations

import pandas as pd


def combined_equity(equity: pd.DataFrame) -> pd.Series:
    """One account from per-symbol accounts: capital split equally at the start, never rebalanced (dollars)."""
    if equity.shape[1] == 1:
        return equity.iloc[:, 0].rename("equity")
    return (equity.sum(axis=1) / equity.shape[1]).rename("equity")


def account_curves(equity: pd.DataFrame) -> pd.DataFrame:
    """``total`` and one column per symbol holding that symbol's sleeve (its own account's value divided by the
    number of symbols, as in ``combined_equity``), so the sleeves sum to the total at every bar."""
    total = combined_equity(equity).rename("total")
    if equity.shape[1] == 1:
        return total.to_frame()
    return pd.concat([total, equity / equity.shape[1]], axis=1)
