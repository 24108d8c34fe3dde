"""Position sizing as pure functions; every result is a whole number of shares (rounded down, >= 0)."""

from __future__ import annotations

import math

from errors import ConfigError


def _positive(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ConfigError(f"{name} must be a positive number, got {value!r}", details={"field": name})


def _whole_shares(value: float) -> int:
    """floor after rounding to 1e-9 shares, so 99.99999999999999 from float arithmetic counts as 100."""
    return max(0, math.floor(round(value, 9)))


def fixed_fractional_shares(equity_usd: float, risk_pct: float, stop_distance_usd: float) -> int:
    """Shares such that hitting the stop loses ``risk_pct`` % of equity: floor(equity*risk%/stop)."""
    for name, value in (("equity_usd", equity_usd), ("risk_pct", risk_pct), ("stop_distance_usd", stop_distance_usd)):
        _positive(name, value)
    return _whole_shares(equity_usd * risk_pct / 100 / stop_distance_usd)


def atr_shares(equity_usd: float, risk_pct: float, atr_usd: float, atr_multiple: float = 2.0) -> int:
    """Fixed-fractional sizing with the stop ``atr_multiple`` ATRs away."""
    _positive("atr_usd", atr_usd)
    _positive("atr_multiple", atr_multiple)
    return fixed_fractional_shares(equity_usd, risk_pct, atr_usd * atr_multiple)


def volatility_target_shares(equity_usd: float, target_vol_pct: float, asset_vol_pct: float, price_usd: float,
                             max_weight_pct: float = 100.0) -> int:
    """Shares whose position volatility is ``target_vol_pct`` of equity: weight = target/asset vol, capped."""
    for name, value in (("equity_usd", equity_usd), ("target_vol_pct", target_vol_pct),
                        ("asset_vol_pct", asset_vol_pct), ("price_usd", price_usd), ("max_weight_pct", max_weight_pct)):
        _positive(name, value)
    weight = min(target_vol_pct / asset_vol_pct, max_weight_pct / 100)
    return _whole_shares(equity_usd * weight / price_usd)


def kelly_fraction(win_probability: float, win_loss_ratio: float) -> float:
    """Full Kelly fraction ``p - (1 - p) / b``; negative means do not bet."""
    if not 0 <= win_probability <= 1:
        raise ConfigError(f"win_probability must be in [0, 1], got {win_probability}",
                          details={"field": "win_probability"})
    _positive("win_loss_ratio", win_loss_ratio)
    return win_probability - (1 - win_probability) / win_loss_ratio


def capped_kelly_shares(equity_usd: float, price_usd: float, win_probability: float, win_loss_ratio: float,
                        kelly_multiplier: float = 0.5, max_weight_pct: float = 20.0) -> int:
    """Shares for ``kelly_multiplier`` x Kelly (half Kelly by default), capped at ``max_weight_pct`` of equity."""
    _positive("equity_usd", equity_usd)
    _positive("price_usd", price_usd)
    _positive("max_weight_pct", max_weight_pct)
    fraction = max(0.0, kelly_fraction(win_probability, win_loss_ratio)) * kelly_multiplier
    return _whole_shares(equity_usd * min(fraction, max_weight_pct / 100) / price_usd)
