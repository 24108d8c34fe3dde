"""The market-data service: fetch → validate → store, and what is stored. Every interface calls this."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text

from errors import ConfigError, DataError, NotFoundError
from guardrails.policy import Actor, Operation, require
from memory.bar_index import BarIndex, SymbolSummary
from memory.data_version import note_bars_written
from memory.db import Database

if TYPE_CHECKING:
    import pandas as pd

    from memory.bars import BarStore, UpsertResult

Progress = Callable[[int, int, str], None]  # (done, total, current symbol)


@dataclass(frozen=True)
class LoadReport:
    """What a load did: per-symbol row counts, warnings, and the upsert outcome."""

    source: str
    symbols: tuple[str, ...]
    rows: int
    inserted: int
    updated: int
    warnings: int
    per_symbol: dict[str, int] = field(default_factory=dict)
    warning_samples: tuple[dict, ...] = ()  # the first ``MAX_WARNINGS_SHOWN`` warnings: symbol, ts, rule, detail

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "symbols": list(self.symbols),
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.rows - self.inserted - self.updated,
            "warnings": self.warnings,
            "warning_samples": list(self.warning_samples),
            "per_symbol": self.per_symbol,
        }


def _parse_symbols(symbols: Sequence[str] | str | None) -> list[str] | None:
    if symbols is None:
        return None
    items = symbols.split(",") if isinstance(symbols, str) else list(symbols)
    cleaned = [s.strip().upper() for s in items if s and s.strip()]
    if not cleaned:
        raise ConfigError("no symbols given")
    return cleaned


MAX_WARNINGS_SHOWN = 20


def _day(value: date | str | None, name: str) -> date | None:
    """A date from a date or text such as ``2023-01-01``; ConfigError naming ``name`` when it is not one."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    from memory.bars import as_utc_timestamp

    try:
        return as_utc_timestamp(value).date()
    except (ValueError, TypeError, ConfigError):
        raise ConfigError(f"{name} {value!r} is not a date; write YYYY-MM-DD", details={"field": name}) from None


def _named_if_unnamed(provider, source: str, options: dict, symbol: str):
    """A file without a symbol column, loaded with one symbol asked for, is that symbol's file."""
    from quant.data.providers.registry import get_provider

    try:
        provider.available_symbols()
    except DataError as exc:
        if "symbol" not in (exc.details or {}).get("missing", []):
            raise
        return get_provider(source, **{**options, "symbol": symbol})
    return provider


class MarketDataService:
    """Loads bars through a provider, validates them, and stores them in one transaction, for ``actor``:
    loading needs the trader role, reading any role (the one policy table)."""

    def __init__(self, database: Database, *, actor: Actor):
        self.database = database
        self.actor = actor
        self.index = BarIndex(database)

    @cached_property
    def bars(self) -> BarStore:
        """The point-in-time frames (pandas, loaded on first use: listing what is stored needs none)."""
        from memory.bars import BarStore

        return BarStore(self.database)

    def may_read(self) -> None:
        """PermissionDenied unless the actor may read market data (every interface's cached reads ask this)."""
        require(self.actor, Operation.READ_MARKET_DATA)

    def load(
        self,
        source: str,
        symbols: Sequence[str] | str | None = None,
        start: date | str | None = None,
        end: date | str | None = None,
        *,
        path: Path | str | None = None,
        column_map: dict[str, str] | None = None,
        symbol: str | None = None,
        provider_options: dict | None = None,
        progress: Progress | None = None,
    ) -> LoadReport:
        """Fetch, validate every symbol, then store all or nothing. Errors name symbol, row and rule."""
        require(self.actor, Operation.LOAD_DATA)
        import pandas as pd

        from quant.data.providers.registry import get_provider
        from quant.data.validation import validate_bars

        wanted = _parse_symbols(symbols)
        start, end = _day(start, "start"), _day(end, "end")  # providers take dates, whatever text came in
        if start is not None and end is not None and start > end:
            raise ConfigError(f"start {start} is after end {end}", details={"field": "start"})
        options = dict(provider_options or {})
        if path is not None:
            options.update(path=Path(path), column_map=column_map or {}, symbol=symbol)
        provider = get_provider(source, **options)
        if wanted is None:
            wanted = list(provider.available_symbols() or [])
            if not wanted:
                raise ConfigError(f"source {source!r} needs --symbols")
        elif path is not None and symbol is None and len(wanted) == 1:
            provider = _named_if_unnamed(provider, source, options, wanted[0])
        frames, reports = [], []
        for i, sym in enumerate(wanted):
            if progress:
                progress(i, len(wanted), sym)
            frame = provider.fetch([sym], start, end)
            if frame.empty:
                raise DataError(f"{source} returned no bars for {sym} between {start or 'the start'} and "
                                f"{end or 'today'}", code="no_data", details={"symbol": sym})
            report = validate_bars(frame)
            if report.errors:
                first = report.errors[0]
                raise DataError(
                    f"load rejected, nothing stored: {sym} row {first.row} ({first.ts}): "
                    f"{first.rule} — {first.detail}"
                    + (f" (+{len(report.errors) - 1} more errors)" if len(report.errors) > 1 else ""),
                    code="validation_failed",
                    details={"symbol": sym, "errors": [e.to_dict() for e in report.errors[:50]]},
                )
            frames.append(frame)
            reports.append((sym, frame, report))
        if progress:
            progress(len(wanted), len(wanted), "storing")
        combined = pd.concat(frames, ignore_index=True)
        try:
            with self.database.engine.begin() as conn:
                result: UpsertResult = self.bars.upsert(combined, source, connection=conn)
                for sym, frame, report in reports:
                    self._store_quality(conn, sym, source, frame, report)
        finally:
            note_bars_written()  # after the commit too: a read that raced the write is never served from a cache
        return LoadReport(
            source=source,
            symbols=tuple(wanted),
            rows=result.rows,
            inserted=result.inserted,
            updated=result.updated,
            warnings=sum(len(r.warnings) for _, _, r in reports),
            per_symbol={sym: len(frame) for sym, frame, _ in reports},
            warning_samples=tuple(w.to_dict() for _, _, r in reports for w in r.warnings)[:MAX_WARNINGS_SHOWN],
        )

    @staticmethod
    def _store_quality(conn, symbol: str, source: str, frame: pd.DataFrame, report) -> None:
        import json

        import pandas as pd

        ts = pd.to_datetime(frame["ts"], utc=True)
        conn.execute(
            text(
                "INSERT INTO data_quality_reports (symbol, source, n_rows, n_errors, n_warnings, first_ts,"
                " last_ts, issues) VALUES (:s, :src, :n, :e, :w, :f, :l, CAST(:i AS jsonb))"
            ),
            {
                "s": symbol, "src": source, "n": len(frame), "e": len(report.errors),
                "w": len(report.warnings), "f": ts.min(), "l": ts.max(),
                "i": json.dumps([w.to_dict() for w in report.warnings[:500]], default=str),
            },
        )

    def schedule(self, symbols: Sequence[str] | str, source: str, cron: str) -> dict:
        """Store a recurring collection of ``symbols`` from ``source`` on a cron schedule (UTC)."""
        from memory.schedules import ScheduleStore

        require(self.actor, Operation.LOAD_DATA)
        return ScheduleStore(self.database).add(symbols, source, cron)

    def schedules(self) -> list[dict]:
        """Stored collection schedules with their last outcome."""
        from memory.schedules import ScheduleStore

        self.may_read()
        return ScheduleStore(self.database).list()

    def list_symbols(self) -> list[SymbolSummary]:
        self.may_read()
        return self.index.symbols()

    def show(
        self, symbol: str, *, as_of: date | str | None = None, start: date | str | None = None,
        end: date | str | None = None,
    ) -> pd.DataFrame:
        """Bars of one symbol as known at ``as_of`` (default: now)."""
        import pandas as pd

        self.may_read()
        self.require_symbol(symbol)
        return self.bars.read([symbol], start, end, as_of=as_of or pd.Timestamp.now(tz="UTC"))

    def quality(self, symbol: str) -> dict:
        """The latest quality report of ``symbol``."""
        self.may_read()
        self.require_symbol(symbol)
        with self.database.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT id, symbol, source, created_at, n_rows, n_errors, n_warnings, first_ts, last_ts,"
                    " issues FROM data_quality_reports WHERE symbol = :s ORDER BY id DESC LIMIT 1"
                ),
                {"s": symbol.upper()},
            ).mappings().first()
        if row is None:
            raise NotFoundError(f"no quality report for {symbol.upper()}")
        return dict(row)

    def require_symbol(self, symbol: str) -> str:
        known = self.index.known_symbols()
        if symbol.upper() not in known:
            hint = ", ".join(sorted(known)[:12]) or "none — run `quantpilot data load --source bundled`"
            raise NotFoundError(f"unknown symbol {symbol.upper()!r}; stored symbols: {hint}")
        return symbol.upper()
