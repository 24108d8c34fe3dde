"""Strategies by name, each with a pydantic parameter model.

``list_strategies()`` describes them (name, description, parameter JSON schema, defaults);
``validate_params(name, params)`` returns the validated model or raises ConfigError naming
each bad field (e.g. ``fast (50) must be < slow (10)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from errors import ConfigError
from quant.strategies.base import Strategy, parse_params
from quant.strategies.bollinger import BollingerBreakout, BollingerReversion
from quant.strategies.crossover import EmaCrossover, SmaCrossover
from quant.strategies.momentum import TsMomentum, XsMomentum
from quant.strategies.rsi_mean_reversion import RsiMeanReversion
from quant.strategies.xgboost_model import XGBoostStrategy


@dataclass(frozen=True)
class StrategySpec:
    """What a caller needs to choose and configure a strategy."""

    name: str
    description: str
    params_schema: dict[str, Any]
    defaults: dict[str, Any]


_STRATEGIES: dict[str, type[Strategy]] = {}


def register_strategy(cls: type[Strategy], *, replace: bool = False) -> type[Strategy]:
    """Add a Strategy subclass under ``cls.name`` (usable as a class decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise ConfigError(f"{cls!r} is not a Strategy subclass")
    name = getattr(cls, "name", "")
    if not isinstance(name, str) or not name.isidentifier():
        raise ConfigError(f"strategy class {cls.__name__} needs an identifier 'name', got {name!r}")
    if name in _STRATEGIES and _STRATEGIES[name] is not cls and not replace:
        raise ConfigError(f"strategy {name!r} is already registered", details={"field": "name"})
    _STRATEGIES[name] = cls
    return cls


for _builtin in (
    SmaCrossover,
    EmaCrossover,
    RsiMeanReversion,
    BollingerReversion,
    BollingerBreakout,
    TsMomentum,
    XsMomentum,
    XGBoostStrategy,
):
    register_strategy(_builtin)


def get_strategy(name: str) -> type[Strategy]:
    """The strategy class registered as ``name``; ConfigError listing the known names."""
    try:
        return _STRATEGIES[name]
    except KeyError:
        raise ConfigError(
            f"unknown strategy {name!r}; known: {sorted(_STRATEGIES)}", details={"field": "strategy", "value": name}
        ) from None


def validate_params(name: str, params: BaseModel | Mapping[str, Any] | None = None) -> BaseModel:
    """Validated parameter model of strategy ``name`` (defaults fill omitted fields)."""
    return parse_params(get_strategy(name).Params, params)


def synonyms() -> dict[str, str]:
    """Every way people name a registered strategy -> its name, lower case, longest phrase first: the name
    itself, the name with spaces (``sma crossover``) and the class's ``aliases``. A phrase two strategies
    claim goes to the first registered."""
    found: dict[str, str] = {}
    for name, cls in _STRATEGIES.items():
        for phrase in (name, name.replace("_", " "), *cls.aliases):
            found.setdefault(phrase.lower(), name)
    return dict(sorted(found.items(), key=lambda item: (-len(item[0]), item[0])))


def parameter_names() -> set[str]:
    """Every registered strategy's parameter names (``fast``, ``lookback``, ``top_k`` …)."""
    return {name for cls in _STRATEGIES.values() for name in cls.Params.model_fields}


def list_strategies() -> list[StrategySpec]:
    """Every registered strategy, sorted by name."""
    return [
        StrategySpec(cls.name, cls.description, cls.Params.model_json_schema(), cls.Params().model_dump())
        for _, cls in sorted(_STRATEGIES.items())
    ]
