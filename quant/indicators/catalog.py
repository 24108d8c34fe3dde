"""Every pandas-ta indicator by name, discovered by introspection, computed on one symbol's bars.

``pandas_ta.Category`` names the indicators per category; ``inspect.signature`` gives their
parameters. pandas-ta declares almost every default as ``None`` and resolves it inside the
function, so the documented default (``Default: ```14``` `` in the docstring) is used when the
signature says ``None``. pandas-ta is imported lazily (its import costs ~0.5 s).
"""

from __future__ import annotations

import ast
import difflib
import functools
import inspect
import re
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pandas as pd

from errors import ConfigError, DataError

# pandas-ta argument name -> bar column
BAR_INPUTS: dict[str, str] = {
    "open_": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "volume": "volume",
}
_PARAM_LINE = re.compile(r"^(\s+)(\w+) \(([^)]*)\):(.*)$")
_DEFAULT = re.compile(r"Default:\s*```(.+?)```", re.S)


@dataclass(frozen=True)
class IndicatorParam:
    """One tunable parameter: name, default (None when undocumented) and its type as written."""

    name: str
    default: Any
    annotation: str


@dataclass(frozen=True)
class IndicatorSpec:
    """An indicator available by name.

    ``inputs`` are the bar columns it needs (open/high/low/close/volume), ``optional_inputs``
    bar columns it uses when present; ``source`` is "pandas_ta", "core" or "custom".
    """

    name: str
    category: str
    inputs: tuple[str, ...]
    optional_inputs: tuple[str, ...]
    params: tuple[IndicatorParam, ...]
    doc: str
    source: str = "pandas_ta"

    def defaults(self) -> dict[str, Any]:
        """Parameter name -> default value."""
        return {p.name: p.default for p in self.params}


def import_pandas_ta() -> ModuleType:
    """Import pandas-ta, silencing only the warnings its import is known to raise.

    With 0.4.71b0 on Python 3.12 the import is silent once byte-compiled; a cold compile emits
    ``SyntaxWarning: invalid escape sequence`` for docstrings, and older releases raise
    ``DeprecationWarning`` from their own modules.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"invalid escape sequence", category=SyntaxWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pandas_ta(\.|$)")
        import pandas_ta

    return pandas_ta


def _documented(doc: str) -> dict[str, tuple[str, Any]]:
    """Parameter name -> (type text, documented default) parsed from a pandas-ta docstring."""
    found: dict[str, tuple[str, Any]] = {}
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        match = _PARAM_LINE.match(line)
        if not match:
            continue
        indent, name, kind, text = match.groups()
        for follow in lines[i + 1 :]:
            if not follow.strip() or len(follow) - len(follow.lstrip()) <= len(indent):
                break
            text += " " + follow.strip()
        default_match = _DEFAULT.search(text)
        default = _literal(default_match.group(1)) if default_match else None
        found[name] = (kind, default)
    return found


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _spec(name: str, category: str, fn: Any) -> IndicatorSpec:
    doc = inspect.getdoc(fn) or ""
    documented = _documented(doc)
    inputs: list[str] = []
    optional: list[str] = []
    params: list[IndicatorParam] = []
    for p in inspect.signature(fn).parameters.values():
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        is_series = "Series" in str(p.annotation)
        if is_series and p.name in BAR_INPUTS:
            target = inputs if p.default is inspect.Parameter.empty else optional
            target.append(BAR_INPUTS[p.name])
            continue
        if is_series:  # a non-bar series input (e.g. long_run's fast/slow): a required parameter
            params.append(IndicatorParam(p.name, None, "Series"))
            continue
        default = None if p.default is inspect.Parameter.empty else p.default
        kind, doc_default = documented.get(p.name, (_annotation(p.annotation), None))
        params.append(IndicatorParam(p.name, doc_default if default is None else default, kind))
    first_line = doc.splitlines()[0].strip() if doc else name
    return IndicatorSpec(name, category, tuple(inputs), tuple(optional), tuple(params), first_line)


def _annotation(annotation: Any) -> str:
    if annotation is inspect.Parameter.empty:
        return "any"
    return getattr(annotation, "__name__", str(annotation).replace("typing.", ""))


@functools.cache
def _catalog() -> dict[str, IndicatorSpec]:
    ta = import_pandas_ta()
    specs: dict[str, IndicatorSpec] = {}
    for category, names in ta.Category.items():
        for name in names:
            fn = getattr(ta, name, None)
            if callable(fn):
                specs[name] = _spec(name, category, fn)
    return dict(sorted(specs.items()))


def list_indicators() -> list[IndicatorSpec]:
    """Every pandas-ta indicator, sorted by name."""
    return list(_catalog().values())


def get_pandas_ta_spec(name: str) -> IndicatorSpec:
    """The pandas-ta indicator ``name``; ConfigError (with close matches) when unknown."""
    catalog = _catalog()
    if name not in catalog:
        close = difflib.get_close_matches(name, catalog, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(f"unknown indicator {name!r}{hint}", details={"field": "name", "value": name})
    return catalog[name]


def one_symbol_frame(bars: pd.DataFrame) -> pd.DataFrame:
    """OHLCV columns indexed by ts for one symbol, from a canonical long bar frame (one symbol)
    or a frame already indexed by time."""
    if "symbol" in bars.columns:
        symbols = bars["symbol"].unique()
        if len(symbols) != 1:
            raise DataError(
                f"indicator input must hold one symbol, got {len(symbols)}: {list(symbols)[:5]}",
                details={"symbols": [str(s) for s in symbols[:20]]},
            )
        return bars.set_index("ts").sort_index()
    return bars


def check_params(spec: IndicatorSpec, params: dict[str, Any]) -> None:
    """ConfigError naming every parameter the indicator does not take."""
    allowed = {p.name for p in spec.params}
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ConfigError(
            f"indicator {spec.name!r} has no parameter(s) {unknown}; it takes {sorted(allowed)}",
            details={"indicator": spec.name, "unknown": unknown, "allowed": sorted(allowed)},
        )


def bar_inputs(spec: IndicatorSpec, frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Keyword arguments holding the bar columns the indicator needs (DataError when absent)."""
    args: dict[str, pd.Series] = {}
    by_column = {column: arg for arg, column in BAR_INPUTS.items()}
    for column in spec.inputs:
        if column not in frame.columns or frame[column].isna().all():
            raise DataError(
                f"indicator {spec.name!r} needs {column!r} values, which these bars lack",
                details={"indicator": spec.name, "field": column},
            )
        args[by_column[column]] = frame[column].astype("float64")
    for column in spec.optional_inputs:
        if column in frame.columns and frame[column].notna().any():
            args[by_column[column]] = frame[column].astype("float64")
    return args


def compute_indicator(name: str, bars: pd.DataFrame, **params: Any) -> pd.DataFrame | pd.Series:
    """Run pandas-ta indicator ``name`` on one symbol's bars (index = ts).

    Uses pandas-ta's pure-pandas path (``talib=False`` unless passed) so results do not depend
    on whether TA-Lib is installed. ConfigError for an unknown name or parameter, DataError for
    missing inputs or too few bars.
    """
    spec = get_pandas_ta_spec(name)
    check_params(spec, params)
    frame = one_symbol_frame(bars)
    args = bar_inputs(spec, frame)
    missing = [p.name for p in spec.params if p.annotation == "Series" and p.name not in params]
    if missing:
        raise ConfigError(
            f"indicator {name!r} needs series parameter(s) {missing} (pd.Series), not bar columns",
            details={"indicator": name, "missing": missing},
        )
    if any(p.name == "talib" for p in spec.params):
        params.setdefault("talib", False)
    fn = getattr(import_pandas_ta(), name)
    result = fn(**args, **params)
    if result is None:
        raise DataError(
            f"indicator {name!r} returned nothing for {len(frame)} bars with {params}: too few bars",
            details={"indicator": name, "bars": len(frame)},
        )
    return result
