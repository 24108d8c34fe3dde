"""Data agent tools: read stored bars point in time, load what is missing, report quality and freshness,
and fetch news headlines (external, untrusted text)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from langchain_core.tools import BaseTool
from pydantic import BaseModel, Field

from errors import PermissionDenied, QuantpilotError
from guardrails.grounding import ground_symbols
from tools.collaborators import require
from tools.context import ToolContext
from tools.grounding import UnknownSymbols, grounded
from tools.results import ToolResult, Unavailable
from tools.typed_tool import AsOf, Symbol, ToolArgs, context_tool
from tools.untrusted import untrusted_text

MAX_HEADLINES = 5


class FetchHistoricalDataArgs(ToolArgs):
    symbol: Symbol
    start_date: date | None = Field(default=None, description="first bar date (inclusive)")
    end_date: date | None = Field(default=None, description="last bar date (inclusive)")
    as_of: AsOf = None


class BarsSummary(ToolResult):
    symbol: str
    as_of: datetime
    n_bars: int
    first_ts: datetime | None
    last_ts: datetime | None
    last_close: float | None
    closes_only: bool
    loaded_from: str | None = Field(default=None, description="provider used to load it now, if it was missing")
    load_failures: list[dict[str, str]] = Field(default_factory=list)


class SymbolArgs(ToolArgs):
    symbol: Symbol


class QualitySummary(ToolResult):
    symbol: str
    report_id: int
    source: str
    n_rows: int
    n_errors: int
    n_warnings: int
    first_ts: datetime | None
    last_ts: datetime | None
    issues_by_rule: dict[str, int]
    sample_issues: list[dict[str, Any]]


class FreshnessArgs(ToolArgs):
    symbol: Symbol
    as_of: AsOf = None


class Freshness(ToolResult):
    symbol: str
    as_of: datetime
    last_bar_ts: datetime | None
    sessions_behind: int | None = Field(description="XNYS sessions after the last bar up to as_of")
    stale_after_sessions: int
    stale: bool


class Headline(BaseModel):
    title: str
    publisher: str | None = None
    published: str | None = None
    url: str | None = None


class News(ToolResult):
    """Headlines as one wrapped, neutralised block; ``suspicious``/``patterns`` flag injection attempts."""

    symbol: str
    trust: str = "untrusted_external_text"
    n_headlines: int
    headlines: str = Field(description="the headlines inside UNTRUSTED_DATA delimiters")
    suspicious: bool
    patterns: list[str]


def _service(ctx: ToolContext):
    from services.market_data import MarketDataService

    return MarketDataService(require(ctx.database, "database"), actor=ctx.actor())


def fetch_historical_data(ctx: ToolContext, args: FetchHistoricalDataArgs) -> BarsSummary:
    """Summary of the stored bars of one symbol as known at ``as_of``; loads the symbol first if absent."""
    service = _service(ctx)
    as_of = ctx.as_of(args.as_of)
    loaded_from, failures = None, []
    if args.symbol not in service.bars.known_symbols():
        loaded_from, failures = _load_missing(ctx, service, args)
    bars = service.bars.read([args.symbol], args.start_date, args.end_date, as_of=as_of)
    closes = bars["close"]
    return BarsSummary(
        symbol=args.symbol, as_of=as_of.to_pydatetime(), n_bars=len(bars),
        first_ts=bars["ts"].iloc[0].to_pydatetime() if len(bars) else None,
        last_ts=bars["ts"].iloc[-1].to_pydatetime() if len(bars) else None,
        last_close=float(closes.iloc[-1]) if len(bars) else None,
        closes_only=bool(len(bars)) and bool(bars["open"].isna().all()),
        loaded_from=loaded_from, load_failures=failures,
    )


def _load_missing(ctx: ToolContext, service, args: FetchHistoricalDataArgs) -> tuple[str | None, list[dict[str, str]]]:
    failures: list[dict[str, str]] = []
    for source in ctx.sources():
        try:
            service.load(source, [args.symbol], args.start_date, args.end_date)
        except PermissionDenied:
            raise  # not a source's failure: this person may not load data from any source
        except QuantpilotError as exc:
            failures.append({"source": source, "code": exc.code, "message": exc.message[:300]})
            continue
        except Exception as exc:  # noqa: BLE001 - a network provider failing in any way means: try the next
            failures.append({"source": source, "code": type(exc).__name__, "message": str(exc)[:300]})
            continue
        return source, failures
    # no source has it: most likely a misspelling of a symbol we hold
    raise UnknownSymbols(ground_symbols([args.symbol], service.bars.known_symbols()),
                         {"tried": list(ctx.sources()), "failures": failures[:5]})


def validate_data_quality(ctx: ToolContext, args: SymbolArgs) -> QualitySummary:
    """The latest stored quality report of ``symbol``: counts by rule and a few sample issues."""
    (symbol,) = grounded(ctx, [args.symbol])
    report = _service(ctx).quality(symbol)
    issues = report.get("issues") or []
    return QualitySummary(
        symbol=report["symbol"], report_id=report["id"], source=report["source"], n_rows=report["n_rows"],
        n_errors=report["n_errors"], n_warnings=report["n_warnings"], first_ts=report["first_ts"],
        last_ts=report["last_ts"], issues_by_rule=dict(Counter(i.get("rule", "?") for i in issues).most_common(10)),
        sample_issues=issues[:3],
    )


def check_data_freshness(ctx: ToolContext, args: FreshnessArgs) -> Freshness:
    """How many sessions the last stored bar at ``as_of`` lags behind ``as_of``."""
    from quant.data.calendar import sessions_between

    service = _service(ctx)
    (symbol,) = grounded(ctx, [args.symbol])
    as_of = ctx.as_of(args.as_of)
    recent = service.bars.latest([symbol], as_of=as_of)  # however old: the answer says how stale it is
    limit = ctx.settings.stale_after_days
    if recent.empty:
        return Freshness(symbol=args.symbol, as_of=as_of.to_pydatetime(), last_bar_ts=None, sessions_behind=None,
                         stale_after_sessions=limit, stale=True)
    last = recent["ts"].iloc[-1]
    behind = sessions_between(last, as_of)
    return Freshness(symbol=args.symbol, as_of=as_of.to_pydatetime(), last_bar_ts=last.to_pydatetime(),
                     sessions_behind=behind, stale_after_sessions=limit, stale=behind > limit)


def _yahoo_news(symbol: str) -> list[dict[str, Any]]:
    import yfinance

    return list(yfinance.Ticker(symbol).news or [])


def fetch_news(ctx: ToolContext, args: SymbolArgs) -> News | Unavailable:
    """Up to five recent headlines (Yahoo Finance, or the run's ``news_source``), screened and wrapped as
    untrusted text; 'unavailable' when offline without a news source."""
    source = ctx.news_source
    if source is None:
        if not ctx.allow_network:
            return Unavailable(tool="fetch_news", reason="news needs the network; this run is offline")
        source = _yahoo_news
    try:
        items = source(args.symbol) or []
    except Exception as exc:  # noqa: BLE001 - any network or parsing failure means: no news
        return Unavailable(tool="fetch_news", reason=f"news source unreachable: {type(exc).__name__}")
    headlines = [_headline(item) for item in items[:MAX_HEADLINES]]
    lines = [f"- {h.title} ({h.publisher or 'unknown publisher'}, {h.published or 'undated'})" for h in headlines]
    wrapped = untrusted_text(f"news:{args.symbol}", "\n".join(lines) or "(no headlines)")
    return News(symbol=args.symbol, n_headlines=len(headlines), headlines=wrapped.text,
                suspicious=wrapped.suspicious, patterns=list(wrapped.patterns))


def _headline(item: dict[str, Any]) -> Headline:
    content = item.get("content") or item
    provider = content.get("provider") or {}
    url = (content.get("canonicalUrl") or {}).get("url") or content.get("link")
    return Headline(title=str(content.get("title", ""))[:300], publisher=provider.get("displayName"),
                    published=content.get("pubDate"), url=url)


def build_data_tools(ctx: ToolContext) -> list[BaseTool]:
    specs = [
        ("fetch_historical_data", "Bars of one symbol known at as_of (summary: count, first/last date, last close); "
         "loads the symbol from the configured sources when it is not stored yet.", FetchHistoricalDataArgs,
         fetch_historical_data),
        ("validate_data_quality", "Latest data-quality report of a stored symbol (errors, warnings).", SymbolArgs,
         validate_data_quality),
        ("check_data_freshness", "Is a symbol's stored data fresh at as_of? Sessions behind, stale flag.",
         FreshnessArgs, check_data_freshness),
        ("fetch_news", "Recent news headlines for a symbol (untrusted external text; offline: unavailable).",
         SymbolArgs, fetch_news),
    ]
    return [context_tool(ctx, name, text, schema, fn) for name, text, schema, fn in specs]
