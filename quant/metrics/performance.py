"""``PerformanceMetrics`` of one equity curve and its trades.

Returns are simple per-bar returns ``equity[t]/equity[t-1] - 1``; annualisation uses
``periods_per_year`` (252 for daily bars). Fractions are fractions (0.1 = 10%), money is
dollars, durations are bars. Undefined ratios (zero volatility, no losses, …) are NaN.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PerformanceMetrics:
    """Summary of a backtest (see module docstring for units)."""

    total_return: float  # fraction
    total_pnl: float  # dollars
    cagr: float  # fraction per year
    annual_volatility: float  # fraction per sqrt(year)
    sharpe: float
    sortino: float
    calmar: float
    max_drawdown: float  # fraction of the running peak, >= 0
    max_drawdown_duration_bars: int
    win_rate: float  # fraction of trades with pnl > 0
    profit_factor: float  # gross profit / gross loss
    exposure: float  # fraction of bars with a position
    turnover: float  # traded notional / mean equity over the run
    trade_count: int
    winning_trades: int
    losing_trades: int
    average_trade: float  # dollars, net of fees
    avg_win: float  # dollars
    avg_loss: float  # dollars (negative)
    alpha: float  # annualised, vs benchmark
    beta: float

    def to_dict(self) -> dict[str, float | int | None]:
        """Plain dict with NaN/inf as None (JSON-safe)."""
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}


def simple_returns(equity: np.ndarray) -> np.ndarray:
    """Per-bar simple returns of an equity array (length n-1)."""
    equity = np.asarray(equity, dtype=np.float64)
    return equity[1:] / equity[:-1] - 1.0


def drawdown_stats(equity: np.ndarray) -> tuple[float, int]:
    """(max drawdown as a fraction of the running peak, longest bars spent below a peak)."""
    equity = np.asarray(equity, dtype=np.float64)
    if equity.size == 0:
        return 0.0, 0
    peak = np.maximum.accumulate(equity)
    max_dd = float(np.max(1.0 - equity / peak))
    at_peak = np.flatnonzero(equity >= peak)  # bars that set or match the running peak
    gaps = np.diff(np.concatenate((at_peak, [equity.size]))) - 1  # bars below the peak after each
    return max_dd, int(gaps.max()) if gaps.size else 0


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 and math.isfinite(den) else math.nan


@dataclass(frozen=True)
class TradeArrays:
    """A trade list as arrays: ``pnl`` (dollars, net of fees) and, when known, ``quantity``,
    ``entry_price`` / ``exit_price`` (dollars; exit NaN while open) and ``is_open``. Pass it to
    ``compute_metrics`` instead of a frame to read the columns once for many calls (per-symbol
    slices of one trade list: ``rows``)."""

    pnl: np.ndarray
    quantity: np.ndarray | None = None
    entry_price: np.ndarray | None = None
    exit_price: np.ndarray | None = None
    is_open: np.ndarray | None = None

    @classmethod
    def from_frame(cls, trades: pd.DataFrame) -> TradeArrays:
        priced = "quantity" in trades
        return cls(pnl=np.asarray(trades["pnl"], dtype=np.float64),
                   quantity=np.asarray(trades["quantity"], dtype=np.float64) if priced else None,
                   entry_price=np.asarray(trades["entry_price"], dtype=np.float64) if priced else None,
                   exit_price=np.asarray(trades["exit_price"], dtype=np.float64) if priced else None,
                   is_open=np.asarray(trades["is_open"], dtype=bool) if "is_open" in trades else None)

    def __len__(self) -> int:
        return len(self.pnl)

    def rows(self, lo: int, hi: int) -> TradeArrays:
        """Trades ``[lo, hi)``."""
        def cut(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[lo:hi]

        return TradeArrays(self.pnl[lo:hi], cut(self.quantity), cut(self.entry_price), cut(self.exit_price),
                           cut(self.is_open))

    def traded_notional(self) -> float | None:
        """Dollars bought and sold (entries, and exits of closed trades); None without quantities."""
        if self.quantity is None or not len(self):
            return None
        exits = np.nan_to_num(self.exit_price)
        closed = ~self.is_open if self.is_open is not None else np.ones(len(self), bool)
        return float(np.sum(self.quantity * self.entry_price) + np.sum((self.quantity * exits)[closed]))


def _trade_stats(trades: TradeArrays | None) -> tuple[int, int, int, float, float, float, float, float]:
    if trades is None or len(trades) == 0:
        return 0, 0, 0, math.nan, math.nan, math.nan, math.nan, math.nan
    pnl = trades.pnl
    wins, losses = pnl[pnl > 0], pnl[pnl < 0]
    gross_loss = -losses.sum()
    return (len(pnl), len(wins), len(losses), len(wins) / len(pnl), _ratio(wins.sum(), gross_loss),
            float(pnl.mean()), float(wins.mean()) if len(wins) else math.nan,
            float(losses.mean()) if len(losses) else math.nan)


def compute_metrics(equity: pd.Series | np.ndarray, trades: pd.DataFrame | TradeArrays | None = None, *,
                    periods_per_year: int = 252, benchmark_returns: pd.Series | np.ndarray | None = None,
                    risk_free_rate: float = 0.0, positions: np.ndarray | None = None,
                    traded_notional: float | None = None, initial_capital: float | None = None) -> PerformanceMetrics:
    """Metrics of ``equity`` (dollars per bar, NaN bars dropped) and ``trades`` (a frame with at
    least a ``pnl`` column in dollars net of fees; ``quantity``/``entry_price``/``exit_price`` give
    turnover when ``traded_notional`` is not passed; or the same as ``TradeArrays``).

    ``risk_free_rate`` is annual; ``benchmark_returns`` are per-bar simple returns aligned with
    the equity's returns (length n-1, or a Series aligned by index). ``positions`` (per bar)
    gives exposure; without it exposure is NaN. ``initial_capital`` (dollars), when given, is the
    base value before the first bar, so the first bar's return (e.g. an entry's costs) counts.
    """
    if isinstance(equity, pd.Series):
        series = equity.astype(np.float64).dropna()
        values, return_index = series.to_numpy(), series.index
    else:
        values = np.asarray(equity, dtype=np.float64)
        values = values[~np.isnan(values)]
        return_index = None
    if initial_capital is not None:
        values = np.concatenate(([float(initial_capital)], values))
    elif return_index is not None:
        return_index = return_index[1:]
    n = values.size
    rf = risk_free_rate / periods_per_year
    returns = simple_returns(values) if n > 1 else np.empty(0)
    total_return = values[-1] / values[0] - 1.0 if n else math.nan
    years = (n - 1) / periods_per_year
    cagr = math.nan
    if n > 1:
        cagr = (values[-1] / values[0]) ** (1.0 / years) - 1.0 if values[-1] > 0 else -1.0
    vol = float(returns.std(ddof=1)) if returns.size > 1 else math.nan
    excess = returns - rf
    sharpe = _ratio(float(excess.mean()), vol) * math.sqrt(periods_per_year) if returns.size > 1 else math.nan
    downside = math.sqrt(float(np.mean(np.minimum(excess, 0.0) ** 2))) if returns.size else math.nan
    sortino = _ratio(float(excess.mean()), downside) * math.sqrt(periods_per_year) if returns.size else math.nan
    max_dd, dd_bars = drawdown_stats(values)
    calmar = _ratio(cagr, max_dd)
    if isinstance(trades, pd.DataFrame):
        trades = TradeArrays.from_frame(trades) if len(trades) else None
    count, n_win, n_loss, win_rate, profit_factor, avg_trade, avg_win, avg_loss = _trade_stats(trades)
    if traded_notional is None and trades is not None:
        traded_notional = trades.traded_notional()
    turnover = _ratio(traded_notional, float(values.mean())) if traded_notional is not None and n else math.nan
    exposure = float(np.mean(np.asarray(positions, dtype=np.float64) != 0)) if positions is not None else math.nan
    alpha = beta = math.nan
    if benchmark_returns is not None and returns.size > 1:
        if isinstance(benchmark_returns, pd.Series) and return_index is not None:
            bench = benchmark_returns.reindex(return_index).to_numpy(dtype=np.float64)
        else:
            bench = np.asarray(benchmark_returns, dtype=np.float64)[-returns.size:]
        ok = np.isfinite(bench) & np.isfinite(returns)
        if ok.sum() > 1:
            r, b = returns[ok], bench[ok]
            beta = _ratio(float(np.cov(r, b, ddof=1)[0, 1]), float(b.var(ddof=1)))
            alpha = (float(r.mean()) - rf - beta * (float(b.mean()) - rf)) * periods_per_year
    return PerformanceMetrics(
        total_return=float(total_return), total_pnl=float(values[-1] - values[0]) if n else math.nan,
        cagr=float(cagr), annual_volatility=vol * math.sqrt(periods_per_year), sharpe=float(sharpe),
        sortino=float(sortino), calmar=float(calmar), max_drawdown=max_dd, max_drawdown_duration_bars=int(dd_bars),
        win_rate=float(win_rate), profit_factor=float(profit_factor), exposure=exposure, turnover=float(turnover),
        trade_count=int(count), winning_trades=int(n_win), losing_trades=int(n_loss), average_trade=float(avg_trade),
        avg_win=float(avg_win), avg_loss=float(avg_loss), alpha=float(alpha), beta=float(beta),
    )
