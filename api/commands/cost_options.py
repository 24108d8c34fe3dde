"""The money knobs of a simulated run, one spelling on every command that trades (``backtest run|grid``,
``walkforward``, ``paper run``): starting capital, commission per order, per share and in basis points, and
slippage in basis points. Each flag left out keeps the operation's own default."""

from __future__ import annotations

import typer

CAPITAL = typer.Option(None, "--capital", min=1.0, metavar="DOLLARS",
                       help="Starting capital in dollars [default: 100000; paper: the account's].")
COMMISSION = typer.Option(None, "--commission", min=0.0, metavar="DOLLARS",
                          help="Commission per order in dollars [default: 1; paper: 0].")
COMMISSION_PER_SHARE = typer.Option(None, "--commission-per-share", min=0.0, metavar="DOLLARS",
                                    help="Commission per share in dollars, e.g. 0.005 [default: 0].")
COMMISSION_BPS = typer.Option(None, "--commission-bps", min=0.0, metavar="BPS",
                              help="Commission in basis points of the notional [default: 0].")
SLIPPAGE_BPS = typer.Option(None, "--slippage-bps", min=0.0, metavar="BPS",
                            help="Slippage against you in basis points, 1 bp = 0.01% [default: 10; paper: 5].")


def backtest_costs(capital: float | None, commission: float | None, per_share: float | None, bps: float | None,
                   slippage: float | None) -> dict[str, float]:
    """The given flags as ``BacktestConfig`` overrides (only those given)."""
    given = {"initial_capital": capital, "commission_per_order": commission, "commission_per_share": per_share,
             "commission_bps": bps, "slippage_bps": slippage}
    return {k: v for k, v in given.items() if v is not None}
