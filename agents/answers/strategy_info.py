"""Answers about strategies and their inputs: the registered strategies, a symbol's features (indicators) and a
strategy's latest signals."""

from __future__ import annotations

from typing import Any

from agents.answers.outcome import ToolOutcome, View, typed
from agents.answers.phrasing import params_text
from quant.display import counted, day, joined, number, percent

# feature column -> (words, how its value reads); RSI is stored as a fraction of 100
_FEATURES: dict[str, tuple[str, Any]] = {
    "rsi_14": ("RSI(14)", lambda v: number(v * 100)),
    "macd_hist_rel": ("MACD histogram", lambda v: f"{percent(v)} of the price"),
    "bb_percent_20": ("Bollinger %b (20)", number),
    "atr_rel_14": ("ATR(14)", lambda v: f"{percent(v)} of the price"),
    "ret_1": ("1-day return", lambda v: percent(v, signed=True)),
    "ret_5": ("5-day return", lambda v: percent(v, signed=True)),
    "ret_20": ("20-day return", lambda v: percent(v, signed=True)),
    "mom_60": ("60-day momentum", lambda v: percent(v, signed=True)),
    "mom_120": ("120-day momentum", lambda v: percent(v, signed=True)),
    "vol_20": ("daily volatility over 20 days", percent),
    "vol_60": ("daily volatility over 60 days", percent),
}


class FeaturesView(View):
    symbol: str
    rows: int = 0
    last_ts: str | None = None
    last_row: dict[str, float | None] = {}


def write_features(outcome: ToolOutcome) -> str:
    view = typed(FeaturesView, outcome.data)
    if view is None:
        return ""
    shown = [f"{words} {write(view.last_row[key])}" for key, (words, write) in _FEATURES.items()
             if view.last_row.get(key) is not None]
    head = f"{view.symbol} on {day(view.last_ts)} (the last of {counted(view.rows, 'bar')} looked at)"
    return f"{head}: {', '.join(shown)}." if shown else f"{head}: no feature has a value yet (too few bars)."


def write_strategies(outcome: ToolOutcome) -> str:
    data = outcome.data
    names = [str(n) for n in data.get("strategies") or []]
    if not names:
        return ""
    descriptions, defaults = data.get("descriptions") or {}, data.get("defaults") or {}
    lines = [f"{counted(len(names), 'strategy', 'strategies')} you can backtest:"]
    for name in names:
        setup = params_text(defaults.get(name) or {})
        lines.append(f"- {name}: {descriptions.get(name, '')}" + (f" Defaults: {setup}." if setup else ""))
    lines.append(f'Try: "backtest {names[0]} on AAPL since 2015".')
    return "\n".join(lines)


def _position(value: float | None) -> str:
    if value is None:
        return "no signal yet"
    if value == 0:
        return "flat"
    return f"{'long' if value > 0 else 'short'} {percent(abs(value), 0)}"


def write_signals(outcome: ToolOutcome) -> str:
    data = outcome.data
    latest = data.get("latest")
    if not isinstance(latest, dict):
        return ""
    setup = params_text(data.get("params") or {})
    held = [f"{symbol} {_position(value)}" for symbol, value in latest.items()]
    return (f"Latest {data.get('strategy')} signals" + (f" ({setup})" if setup else "")
            + f" on {day(data.get('signal_ts'))}: {joined(held)} (target position as a share of the allocation).")
