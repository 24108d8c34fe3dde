"""``BacktestConfig``: the one typed object that says how a backtest trades.

Money in dollars, costs in basis points (1 bp = 0.01%), fractions in [0, 1]. Construction
raises ``errors.ConfigError`` naming the offending field (never a bare pydantic error).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from errors import ConfigError

Sizing = Literal["all_in", "fixed_fraction", "volatility_target", "risk_per_trade"]
FillConvention = Literal["next_open", "next_close"]
CapitalMode = Literal["per_symbol", "portfolio"]


class StrictModel(BaseModel):
    """Frozen pydantic model whose validation errors are ``ConfigError`` naming the field."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, **data):
        try:
            super().__init__(**data)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "config"
            raise ConfigError(
                f"{type(self).__name__}.{field}: {first['msg']}",
                details={"field": field, "errors": [{"field": ".".join(map(str, e["loc"])), "msg": e["msg"]}
                                                    for e in exc.errors()]},
            ) from None


class BacktestConfig(StrictModel):
    """How orders are sized, filled and charged.

    - ``sizing="all_in"``: target fraction f buys ``floor(f * (equity - commission) / fill_price)``
      whole shares (commission = ``commission_per_order`` dollars, plus ``commission_per_share`` dollars a share,
      plus ``commission_bps`` of notional).
    - ``"fixed_fraction"``: the notional is ``fixed_fraction`` of that (f * fixed_fraction).
    - ``"volatility_target"``: scales by ``target_volatility / realised_volatility`` (annualised,
      log returns over ``volatility_lookback_bars`` up to the signal bar), capped by ``max_leverage``.
    - ``"risk_per_trade"``: risks ``risk_fraction`` of equity against a stop ``stop_loss_fraction``
      away: notional = risk_fraction / stop_loss_fraction of equity, capped by ``max_leverage``.
    Sizing is evaluated when the target changes (at the order), not rebalanced every bar.

    ``fill="next_open"`` fills a signal decided at bar t's close at bar t+1's open, or at t+1's
    close for a symbol whose opens are all missing (closes-only data); ``"next_close"`` always
    fills at t+1's close. ``capital_mode="per_symbol"`` runs every symbol as its own backtest
    with the full ``initial_capital``; ``"portfolio"`` shares one account split by the fractions.
    """

    initial_capital: float = Field(100_000.0, gt=0)
    commission_per_order: float = Field(1.0, ge=0)
    commission_per_share: float = Field(0.0, ge=0, lt=1_000)
    commission_bps: float = Field(0.0, ge=0, lt=10_000)
    slippage_bps: float = Field(10.0, ge=0, lt=10_000)
    sizing: Sizing = "all_in"
    fixed_fraction: float = Field(1.0, gt=0, le=1)
    target_volatility: float = Field(0.15, gt=0)
    volatility_lookback_bars: int = Field(20, ge=2)
    risk_fraction: float = Field(0.01, gt=0, le=1)
    stop_loss_fraction: float = Field(0.05, gt=0, le=1)
    max_leverage: float = Field(1.0, gt=0, le=1)
    allow_short: bool = False
    fill: FillConvention = "next_open"
    capital_mode: CapitalMode = "per_symbol"
    periods_per_year: int = Field(252, gt=0)
    start_date: datetime | None = None
    end_date: datetime | None = None

    @field_validator("end_date")
    @classmethod
    def _dates_in_order(cls, end: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("start_date")
        if start is not None and end is not None and start > end:
            raise ValueError(f"end_date {end} is before start_date {start}")
        return end
