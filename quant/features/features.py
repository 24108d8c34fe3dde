"""Point-in-time features over wide panels (index = ts UTC, columns = symbols).

Every value at bar t uses only bars <= t (trailing windows, no centring, no back-fill), so a
change to bars after t never moves a feature at or before t. Windows are in bars.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from errors import ConfigError
from quant.data.schema import field_panel
from quant.indicators import core


def _positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be an integer >= 1, got {value!r}", details={"field": name})


def returns(close: pd.DataFrame, periods: int = 1) -> pd.DataFrame:
    """Simple returns over ``periods`` bars: close_t / close_{t-periods} - 1 (fraction)."""
    _positive("periods", periods)
    return close / close.shift(periods) - 1.0


def log_returns(close: pd.DataFrame, periods: int = 1) -> pd.DataFrame:
    """Log returns over ``periods`` bars: ln(close_t / close_{t-periods})."""
    _positive("periods", periods)
    return np.log(close / close.shift(periods))


def rolling_volatility(close: pd.DataFrame, window: int = 20, bars_per_year: float | None = None) -> pd.DataFrame:
    """Rolling std (ddof=1) of one-bar log returns over ``window`` returns; per bar, or
    annualized when ``bars_per_year`` is given (e.g. 252 for daily bars)."""
    vol = core.rolling_volatility(close, window)
    return vol * np.sqrt(bars_per_year) if bars_per_year else vol


def momentum(close: pd.DataFrame, lookback: int = 20, skip: int = 0) -> pd.DataFrame:
    """Trailing return from t-lookback to t-skip (fraction); skip > 0 drops the latest bars
    (e.g. 12-1 month momentum: lookback=252, skip=21)."""
    _positive("lookback", lookback)
    if not 0 <= skip < lookback:
        raise ConfigError(f"skip must be in [0, lookback), got {skip}", details={"field": "skip"})
    return close.shift(skip) / close.shift(lookback) - 1.0


def rolling_correlation(rets: pd.DataFrame, window: int = 60, reference: pd.Series | None = None) -> pd.DataFrame:
    """Rolling correlation of each column of ``rets`` with ``reference`` (default: the
    cross-sectional mean return of the panel, an equal-weight market) over ``window`` bars."""
    _positive("window", window)
    ref = rets.mean(axis=1) if reference is None else reference.reindex(rets.index)
    return rets.rolling(window, min_periods=window).corr(ref)


def indicator_features(
    close: pd.DataFrame, high: pd.DataFrame | None = None, low: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """Scale-free indicator features per symbol: RSI(14)/100, MACD histogram / close,
    Bollinger %b (20, 2), and ATR(14) / close when high/low are given and not all NaN."""
    out = {
        "rsi_14": core.rsi(close, 14) / 100.0,
        "macd_hist_rel": core.macd(close).histogram / close,
        "bb_percent_20": core.bollinger_bands(close, 20).percent,
    }
    if high is not None and low is not None and high.notna().any().any():
        out["atr_rel_14"] = core.atr(high, low, close, 14) / close
    return out


@dataclass(frozen=True)
class FeaturePipeline:
    """The standard feature set for every symbol of a bar frame.

    ``compute(bars, lookback_days)`` returns a frame indexed by (ts, symbol) with one column
    per feature, holding the rows whose ts lies within ``lookback_days`` calendar days of the
    last bar (all rows when None); earlier bars still serve as warm-up.
    """

    return_periods: tuple[int, ...] = (1, 5, 20)
    volatility_windows: tuple[int, ...] = (20, 60)
    momentum_lookbacks: tuple[int, ...] = (20, 60, 120)
    correlation_window: int = 60
    with_indicators: bool = True

    def compute_panels(self, bars: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """Feature name -> wide panel (index ts, columns symbols) of a canonical bar frame."""
        return self.from_price_panels(field_panel(bars, "close"), field_panel(bars, "high"), field_panel(bars, "low"))

    def from_price_panels(
        self, close: pd.DataFrame, high: pd.DataFrame | None = None, low: pd.DataFrame | None = None
    ) -> dict[str, pd.DataFrame]:
        """Feature name -> wide panel from close (and optional high/low) panels."""
        panels: dict[str, pd.DataFrame] = {}
        for p in self.return_periods:
            panels[f"ret_{p}"] = returns(close, p)
        panels["log_ret_1"] = log_returns(close, 1)
        for w in self.volatility_windows:
            panels[f"vol_{w}"] = rolling_volatility(close, w)
        for lb in self.momentum_lookbacks:
            panels[f"mom_{lb}"] = momentum(close, lb)
        if close.shape[1] > 1:
            panels[f"corr_mkt_{self.correlation_window}"] = rolling_correlation(
                panels["log_ret_1"], self.correlation_window
            )
        if self.with_indicators:
            panels.update(indicator_features(close, high, low))
        return panels

    def compute(self, bars: pd.DataFrame, lookback_days: int | None = None) -> pd.DataFrame:
        """Long feature frame indexed by (ts, symbol) for the last ``lookback_days`` days."""
        panels = self.compute_panels(bars)
        frame = pd.concat({name: panel.stack(future_stack=True) for name, panel in panels.items()}, axis=1)
        frame.index.names = ["ts", "symbol"]
        if lookback_days is not None:
            _positive("lookback_days", lookback_days)
            ts = frame.index.get_level_values("ts")
            frame = frame[ts >= ts.max() - pd.Timedelta(days=lookback_days)]
        return frame.sort_index()
