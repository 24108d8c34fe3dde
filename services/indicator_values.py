"""Indicator values of one stored symbol, point in time: what ``indicators show`` and the chat read."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from errors import ConfigError
from guardrails.policy import Actor, Operation, require
from memory.db import Database


@dataclass(frozen=True)
class IndicatorRequest:
    """An indicator by name (``rsi``, ``core:rsi``, ``pandas_ta:adx``) with its parameters."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)


def parse_indicator(text: str) -> IndicatorRequest:
    """``rsi``, ``rsi:length=14``, ``macd:fast=12,slow=26,signal=9``, ``core:rsi:length=14`` (a source prefix
    such as ``core:`` stays part of the name); values are read as JSON where they can be (14, 2.0, true)."""
    name, params = text.strip(), {}
    head, sep, tail = name.rpartition(":")
    if sep and "=" in tail:
        name = head
        for pair in tail.split(","):
            key, eq, raw = pair.partition("=")
            if not eq or not key.strip():
                raise ConfigError(f"indicator {text!r}: write NAME:param=value[,param=value], e.g. rsi:length=14",
                                  details={"field": "indicator"})
            try:
                params[key.strip()] = json.loads(raw)
            except json.JSONDecodeError:
                params[key.strip()] = raw.strip()
    if not name:
        raise ConfigError(f"indicator {text!r} has no name", details={"field": "indicator"})
    return IndicatorRequest(name, params)


def indicator_values(database: Database, actor: Actor, symbol: str, requests: Sequence[IndicatorRequest], *,
                     as_of: date | str | None = None, last: int = 10) -> pd.DataFrame:
    """The last ``last`` bars of ``symbol`` known at ``as_of`` (default now): the close and every requested
    indicator's columns (pandas-ta names, e.g. ``RSI_14``), computed only from bars up to each row. Any role
    may ask (a read-only computation on stored data)."""
    from quant.indicators.registry import compute
    from services.market_data import MarketDataService

    require(actor, Operation.ANALYSE)

    if last < 1:
        raise ConfigError(f"--last must be at least 1, got {last}", details={"field": "last"})
    if not requests:
        raise ConfigError("name at least one indicator, e.g. rsi:length=14", details={"field": "indicator"})
    market = MarketDataService(database, actor=actor)
    wanted = market.require_symbol(symbol)
    bars = market.bars.read([wanted], as_of=as_of or pd.Timestamp.now(tz="UTC"))
    if bars.empty:
        raise ConfigError(f"no bars of {wanted} known at {as_of}", details={"field": "as_of"})
    frame = bars.set_index("ts").sort_index()
    columns = [frame["close"]]
    for request in requests:
        values = compute(request.name, bars, **request.params)
        columns.append(values.to_frame() if isinstance(values, pd.Series) else values)
    return pd.concat(columns, axis=1).tail(last)
