"""``describe_call``: a tool call in words, for the lines a chat shows while a turn runs
(``backtest strategy: sma_crossover (fast 10) on AAPL and MSFT, from 2015-01-01``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.answers.phrasing import params_text, plain_value, tool_words
from quant.display import joined, money, percent, quantity

MAX_CHARS = 160


def _strategy(config: Mapping[str, Any]) -> str:
    setup = params_text(config.get("params") or {})
    name = str(config.get("strategy")) + (f" ({setup})" if setup else "")
    return f"{name} on {joined(config.get('symbols') or [])}"


def _dates(rng: Mapping[str, Any]) -> str:
    return " ".join(f"{'from' if k == 'start' else 'to'} {plain_value(v)}" for k, v in rng.items() if v)


def _order(order: Mapping[str, Any]) -> str:
    price = f" at {order['limit_price']}" if order.get("limit_price") else ""
    return f"{order.get('side')} {quantity(order.get('qty'))} {order.get('symbol')}{price}"


def _part(key: str, value: Any) -> str:
    if key == "strategy_config" and isinstance(value, Mapping):
        return _strategy(value)
    if key == "date_range" and isinstance(value, Mapping):
        return _dates(value)
    if key == "order" and isinstance(value, Mapping):
        return _order(value)
    if key == "portfolio" and isinstance(value, Mapping):
        return f"with cash {plain_value(value.get('cash_usd'))}"
    if key == "views" and isinstance(value, Mapping):  # as the CLI's --view takes them: AAPL=12.00%@70%
        return "views " + ", ".join(f"{s}={percent(v[0])}@{percent(v[1], 0)}" for s, v in value.items())
    if key in ("target_return", "target_volatility"):
        return f"{key.replace('_', ' ')} {percent(value)}"
    if key == "total_value":
        return f"total value {money(value)}"
    return f"{key.replace('_', ' ')} {plain_value(value)}"


def describe_call(name: str, args: Mapping[str, Any] | None) -> str:
    """``name`` and its arguments in words, at most ``MAX_CHARS`` characters."""
    parts = [p for p in (_part(k, v) for k, v in (args or {}).items() if v not in (None, {}, [])) if p]
    text = tool_words(name) + (": " + ", ".join(parts) if parts else "")
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"
