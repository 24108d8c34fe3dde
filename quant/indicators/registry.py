"""One lookup over custom indicators, the numba fast path (``core``) and pandas-ta.

A bare name resolves custom → core → pandas-ta; ``"core:rsi"``, ``"pandas_ta:rsi"`` and
``"custom:name"`` pick a source explicitly. Core indicators return pandas-ta's column names
(``RSI_14``, ``MACD_12_26_9``/``MACDh_…``/``MACDs_…``, ``BBL_20_2.0_2.0``…) with the
conventions of ``quant.indicators.core`` (note: RSI NaN for the first ``length`` bars, Bollinger
ddof=0). Custom indicators are functions ``fn(frame, **params)`` of one symbol's OHLCV frame
(index = ts) returning a Series or DataFrame aligned to it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from errors import ConfigError
from quant.indicators import catalog, core

IndicatorFn = Callable[..., pd.Series | pd.DataFrame]
SOURCES = ("custom", "core", "pandas_ta")


@dataclass(frozen=True)
class RegisteredIndicator:
    """A spec and the function computing it from one symbol's OHLCV frame."""

    spec: catalog.IndicatorSpec
    fn: IndicatorFn


def _core_macd(frame: pd.DataFrame, fast: int = 12, slow: int = 26, signal: int = 9) -> pd.DataFrame:
    lines = core.macd(frame["close"], fast, slow, signal)
    tag = f"_{fast}_{slow}_{signal}"
    return pd.DataFrame({f"MACD{tag}": lines.macd, f"MACDh{tag}": lines.histogram, f"MACDs{tag}": lines.signal})


def _core_bbands(frame: pd.DataFrame, length: int = 20, std: float = 2.0, ddof: int = 0) -> pd.DataFrame:
    bands = core.bollinger_bands(frame["close"], length, std, ddof)
    tag = f"_{length}_{float(std)}_{float(std)}"
    return pd.DataFrame(
        {
            f"BBL{tag}": bands.lower,
            f"BBM{tag}": bands.mid,
            f"BBU{tag}": bands.upper,
            f"BBB{tag}": bands.bandwidth,
            f"BBP{tag}": bands.percent,
        }
    )


def _named(series: pd.Series, name: str) -> pd.Series:
    return series.rename(name)


_CORE_FNS: dict[str, tuple[str, tuple[str, ...], IndicatorFn]] = {
    "sma": ("overlap", ("close",), lambda f, length=10: _named(core.sma(f["close"], length), f"SMA_{length}")),
    "ema": ("overlap", ("close",), lambda f, length=10: _named(core.ema(f["close"], length), f"EMA_{length}")),
    "rsi": ("momentum", ("close",), lambda f, length=14: _named(core.rsi(f["close"], length), f"RSI_{length}")),
    "macd": ("momentum", ("close",), _core_macd),
    "bbands": ("volatility", ("close",), _core_bbands),
    "atr": (
        "volatility",
        ("high", "low", "close"),
        lambda f, length=14: _named(core.atr(f["high"], f["low"], f["close"], length), f"ATRr_{length}"),
    ),
    "rolling_volatility": (
        "volatility",
        ("close",),
        lambda f, length=20, ddof=1: _named(core.rolling_volatility(f["close"], length, ddof), f"VOL_{length}"),
    ),
}


# the words people use for the core indicators (lower case), besides their names
CORE_ALIASES: dict[str, tuple[str, ...]] = {
    "sma": ("simple moving average", "moving average"),
    "ema": ("exponential moving average",),
    "rsi": ("relative strength index",),
    "macd": ("moving average convergence divergence",),
    "bbands": ("bollinger", "bollinger bands", "bollinger band"),
    "atr": ("average true range", "true range"),
    "rolling_volatility": ("volatility", "rolling volatility", "realized volatility", "realised volatility"),
}


def core_synonyms() -> dict[str, str]:
    """Every way people name a core indicator -> its name, lower case, longest phrase first."""
    found = {phrase: name for name in _CORE_FNS
             for phrase in (name, name.replace("_", " "), *CORE_ALIASES.get(name, ()))}
    return dict(sorted(found.items(), key=lambda item: (-len(item[0]), item[0])))


def _params_of(fn: IndicatorFn) -> tuple[catalog.IndicatorParam, ...]:
    params = list(inspect.signature(fn).parameters.values())[1:]
    return tuple(
        catalog.IndicatorParam(
            p.name,
            None if p.default is inspect.Parameter.empty else p.default,
            catalog._annotation(p.annotation),
        )
        for p in params
        if p.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    )


def _core_entries() -> dict[str, RegisteredIndicator]:
    entries = {}
    for name, (category, inputs, fn) in _CORE_FNS.items():
        doc = (core.__dict__.get(name if name != "bbands" else "bollinger_bands").__doc__ or name).split("\n")[0]
        spec = catalog.IndicatorSpec(name, category, inputs, (), _params_of(fn), doc.strip(), "core")
        entries[name] = RegisteredIndicator(spec, fn)
    return entries


_CORE = _core_entries()
_CUSTOM: dict[str, RegisteredIndicator] = {}


def register_indicator(
    name: str,
    fn: IndicatorFn,
    *,
    category: str = "custom",
    params: Mapping[str, Any] | None = None,
    inputs: tuple[str, ...] = ("close",),
    doc: str | None = None,
    replace: bool = False,
) -> catalog.IndicatorSpec:
    """Register ``fn(frame, **params)`` under ``name``; ``params`` maps parameter -> default
    (read from ``fn``'s signature when omitted). A name taken by core or pandas-ta, or already
    registered (unless ``replace``), is a ConfigError."""
    if not name.isidentifier():
        raise ConfigError(f"indicator name {name!r} must be an identifier", details={"field": "name"})
    if name in _CORE or name in {s.name for s in catalog.list_indicators()}:
        raise ConfigError(f"indicator name {name!r} is taken by a built-in indicator", details={"field": "name"})
    if name in _CUSTOM and not replace:
        raise ConfigError(f"indicator {name!r} is already registered", details={"field": "name"})
    unknown_inputs = sorted(set(inputs) - set(catalog.BAR_INPUTS.values()))
    if unknown_inputs:
        raise ConfigError(f"unknown bar inputs {unknown_inputs} for {name!r}", details={"field": "inputs"})
    if params is None:
        spec_params = _params_of(fn)
    else:
        spec_params = tuple(catalog.IndicatorParam(k, v, type(v).__name__) for k, v in params.items())
    first_line = (doc or inspect.getdoc(fn) or name).splitlines()[0].strip()
    spec = catalog.IndicatorSpec(name, category, tuple(inputs), (), spec_params, first_line, "custom")
    _CUSTOM[name] = RegisteredIndicator(spec, fn)
    return spec


def unregister_indicator(name: str) -> None:
    """Remove a custom indicator (NotFound is a ConfigError)."""
    if _CUSTOM.pop(name, None) is None:
        raise ConfigError(f"no custom indicator named {name!r}", details={"field": "name"})


def _split(name: str) -> tuple[str | None, str]:
    if ":" in name:
        source, bare = name.split(":", 1)
        if source not in SOURCES:
            raise ConfigError(f"unknown indicator source {source!r}; use one of {SOURCES}")
        return source, bare
    return None, name


def get_indicator(name: str) -> catalog.IndicatorSpec:
    """The spec ``name`` resolves to (custom → core → pandas-ta, or an explicit ``source:name``)."""
    source, bare = _split(name)
    if source in (None, "custom") and bare in _CUSTOM:
        return _CUSTOM[bare].spec
    if source in (None, "core") and bare in _CORE:
        return _CORE[bare].spec
    if source in (None, "pandas_ta"):
        return catalog.get_pandas_ta_spec(bare)
    raise ConfigError(f"no {source} indicator named {bare!r}", details={"field": "name", "value": name})


def list_all_indicators(category: str | None = None) -> list[catalog.IndicatorSpec]:
    """Custom, core and pandas-ta specs (a name may appear once per source), sorted by name."""
    specs = [e.spec for e in _CUSTOM.values()] + [e.spec for e in _CORE.values()] + catalog.list_indicators()
    if category is not None:
        specs = [s for s in specs if s.category == category]
    return sorted(specs, key=lambda s: (s.name, SOURCES.index(s.source)))


def compute(name: str, bars: pd.DataFrame, **params: Any) -> pd.Series | pd.DataFrame:
    """Compute indicator ``name`` on one symbol's bars (canonical long frame or ts-indexed OHLCV)."""
    spec = get_indicator(name)
    if spec.source == "pandas_ta":
        return catalog.compute_indicator(spec.name, bars, **params)
    catalog.check_params(spec, params)
    frame = catalog.one_symbol_frame(bars)
    catalog.bar_inputs(spec, frame)  # DataError when a needed column is absent
    entry = _CUSTOM[spec.name] if spec.source == "custom" else _CORE[spec.name]
    return entry.fn(frame, **params)
