"""Bars from CSV or Parquet files, with a column mapping and an optional fixed symbol.

Every problem names the file and the line (CSV: physical line, header = line 1) or row
(Parquet: 0-based) and the column: unreadable file, missing columns, unparsable timestamps or
numbers, and any error-level quality rule (``quant.data.validation``). Timestamps without a
time zone are read as UTC; others are converted to UTC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from errors import ConfigError, DataError, NotFoundError
from quant.data.providers.base import check_date_range, check_timeframe, clip_dates, normalize_symbols
from quant.data.schema import BAR_COLUMNS, DAILY
from quant.data.symbols import check_symbol
from quant.data.validation import validate_bars

# Used when no mapping names a column: case-insensitive header -> canonical column.
DEFAULT_COLUMN_NAMES: dict[str, str] = {
    "date": "ts", "datetime": "ts", "timestamp": "ts", "time": "ts", "ts": "ts",
    "ticker": "symbol", "symbol": "symbol",
    "open": "open", "high": "high", "low": "low", "close": "close", "volume": "volume",
}  # fmt: skip
_NUMERIC = ("open", "high", "low", "close", "volume")
_MAX_REPORTED = 10


def _infer_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise ConfigError(f"cannot tell the format of {path}; pass file_format='csv' or 'parquet'",
                      details={"path": str(path)})


def _read_raw(path: Path, file_format: str) -> tuple[pd.DataFrame, str]:
    """The file's cells (CSV as strings) indexed by line (CSV) or row (Parquet), and that unit's name."""
    try:
        if file_format == "csv":
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
            raw.index = np.arange(2, len(raw) + 2)  # header is line 1
            blank = (raw.apply(lambda c: c.str.strip()) == "").all(axis=1)
            return raw.loc[~blank], "line"
        if file_format == "parquet":
            raw = pd.read_parquet(path)
            return raw.reset_index(drop=True), "row"
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read {file_format} file {path}: {exc}",
                        details={"path": str(path), "reason": str(exc)}) from exc
    raise ConfigError(f"unknown file format {file_format!r}; use 'csv' or 'parquet'",
                      details={"file_format": file_format})


def _rename(raw: pd.DataFrame, column_map: Mapping[str, str] | None) -> pd.DataFrame:
    """Apply the mapping, then default names for unmapped headers; drop unused columns."""
    mapping = dict(column_map or {})
    targets = set(mapping.values())
    for header in raw.columns:
        canonical = DEFAULT_COLUMN_NAMES.get(str(header).strip().lower())
        if header not in mapping and canonical and canonical not in targets:
            mapping[header] = canonical
            targets.add(canonical)
    renamed = raw.rename(columns=mapping)
    return renamed.loc[:, [c for c in renamed.columns if c in BAR_COLUMNS]]


def _problem(unit: str, label, column: str, value, rule: str, what: str) -> dict:
    return {unit: int(label), "column": column, "value": str(value), "rule": rule, "detail": what}


def _coerce(frame: pd.DataFrame, unit: str) -> tuple[pd.DataFrame, list[dict]]:
    problems: list[dict] = []
    out = frame.copy()

    def present(column: str) -> pd.Series:
        cells = frame[column]
        return cells.notna() & (cells.astype(str).str.strip() != "")

    ts = pd.to_datetime(frame["ts"], utc=True, errors="coerce")
    for label in frame.index[ts.isna() & present("ts")]:
        problems.append(_problem(unit, label, "ts", frame.at[label, "ts"], "unparsable_timestamp",
                                 "cannot parse as a date/time"))
    for label in frame.index[ts.isna() & ~present("ts")]:
        problems.append(_problem(unit, label, "ts", "", "missing_timestamp", "timestamp is empty"))
    out["ts"] = ts
    for column in _NUMERIC:
        if column not in frame.columns:
            out[column] = np.nan
            continue
        values = pd.to_numeric(frame[column], errors="coerce")
        for label in frame.index[values.isna() & present(column)]:
            problems.append(_problem(unit, label, column, frame.at[label, column], "unparsable_number",
                                     "cannot parse as a number"))
        out[column] = values.astype("float64")
    return out, sorted(problems, key=lambda p: p[unit])


def read_bar_file(path: str | Path, *, file_format: str | None = None,
                  column_map: Mapping[str, str] | None = None, symbol: str | None = None,
                  calendar: str | None = None) -> pd.DataFrame:
    """A validated canonical bar frame from a CSV/Parquet file (see module docstring).

    ``column_map`` maps file headers to canonical names, e.g. {"Date": "ts", "Adj Close": "close"};
    ``symbol`` fixes the symbol for every row (required when the file has no symbol column);
    ``calendar`` enables session-gap warnings (not errors) during validation.
    """
    path = Path(path)
    fmt = (file_format or _infer_format(path)).lower()
    raw, unit = _read_raw(path, fmt)
    frame = _rename(raw, column_map)
    if symbol is not None:
        frame["symbol"] = check_symbol(symbol, where="symbol")
    missing = [c for c in ("symbol", "ts", "close") if c not in frame.columns]
    if missing:
        hint = " (a file of one symbol needs that symbol named)" if "symbol" in missing else ""
        raise DataError(f"{path} lacks required column(s) {missing}{hint}; it has {list(raw.columns)}",
                        details={"path": str(path), "missing": missing, "columns": list(map(str, raw.columns))})
    frame, problems = _coerce(frame, unit)
    if problems:
        shown = "; ".join(f"{unit} {p[unit]} column {p['column']!r}: {p['detail']} ({p['value']!r})"
                          for p in problems[:_MAX_REPORTED])
        raise DataError(f"{path}: {len(problems)} bad cell(s): {shown}",
                        details={"path": str(path), "problems": problems[:100], "problem_count": len(problems)})
    frame["symbol"] = frame["symbol"].astype(str).str.strip().str.upper()
    frame = frame.loc[:, list(BAR_COLUMNS)].sort_values(["symbol", "ts"], kind="stable")
    report = validate_bars(frame, calendar=calendar)
    if not report.ok:
        errors = report.errors
        shown = "; ".join(f"{unit} {i.row} ({i.symbol} {i.ts}): {i.rule}: {i.detail}"
                          for i in errors[:_MAX_REPORTED])
        raise DataError(f"{path}: {len(errors)} row(s) fail validation: {shown}",
                        details={"path": str(path), "unit": unit, "issue_count": len(errors),
                                 "issues": [i.to_dict() for i in errors[:100]]})
    return frame.reset_index(drop=True)


class FileProvider:
    """Provider over one CSV/Parquet file, read and validated once on first use."""

    def __init__(self, path: str | Path, *, file_format: str | None = None,
                 column_map: Mapping[str, str] | None = None, symbol: str | None = None):
        self.path = Path(path)
        self.file_format = (file_format or _infer_format(self.path)).lower()
        self.name = self.file_format
        self._options = {"column_map": column_map, "symbol": symbol}
        self._frame: pd.DataFrame | None = None

    def _bars(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = read_bar_file(self.path, file_format=self.file_format, **self._options)
        return self._frame

    def available_symbols(self) -> list[str]:
        return sorted(self._bars()["symbol"].unique().tolist())

    def fetch(self, symbols: Sequence[str], start: date | None = None, end: date | None = None,
              timeframe: str = DAILY) -> pd.DataFrame:
        check_timeframe(timeframe, (DAILY,), self.name)
        check_date_range(start, end)
        wanted = normalize_symbols(symbols)
        bars = self._bars()
        unknown = [s for s in wanted if s not in set(bars["symbol"])]
        if unknown:
            raise NotFoundError(
                f"{self.path} has no symbol(s) {unknown}; available: {', '.join(self.available_symbols())}",
                details={"symbols": unknown, "available": self.available_symbols()},
            )
        return clip_dates(bars.loc[bars["symbol"].isin(wanted)], start, end)
