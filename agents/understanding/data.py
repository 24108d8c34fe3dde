"""Data requests (the Data agent): freshness, quality, news and the stored bars of a symbol."""

from __future__ import annotations

from agents.understanding.plans import Plan, PlannedCall, Reply
from agents.understanding.request import Request


def _per_symbol(name: str, r: Request, **extra: str) -> Plan | Reply:
    if not r.symbols:
        return Reply("clarify", f'For which symbol? For example: "{name.replace("_", " ")} for AAPL".', name)
    return Plan(tuple(PlannedCall(name, {"symbol": s, **extra}) for s in r.symbols))


def freshness(r: Request) -> Plan | Reply | None:
    if r.has(r"\bfresh\w*|\bstale\b|up[- ]to[- ]date|last bar|\bcurrent\b.*\bdata\b|how old is|latest (bar|price|data)"
             r"|when was .* (updated|last)|\bdata\b.{0,20}\brecent\b|\brecent enough"):
        return _per_symbol("check_data_freshness", r)
    return None


def quality(r: Request) -> Plan | Reply | None:
    if r.has(r"quality|validat\w*|\bgaps?\b|missing (bars|data|days)|bad (bars|data|ticks)|\bclean\b|data issues|"
             r"(wrong|problems?|issues?|errors?) (with|in) (the |my )?(\w+ )?(data|bars|prices)"):
        return _per_symbol("validate_data_quality", r)
    return None


def news(r: Request) -> Plan | Reply | None:
    if r.has(r"\bnews\b|headlines?|what('s| is) (happening|going on) with|any (news|stories)|press"):
        return _per_symbol("fetch_news", r)
    return None


def bars(r: Request) -> Plan | Reply | None:
    if not r.has(r"\b(load|fetch|get|download|pull|show|grab|import|refresh|update)\b.*\b(data|prices?|bars|history|"
                 r"candles|quotes?|ohlcv?|closes?)\b|\bprices? (for|of)\b|\bprice history\b|\b(data|bars|history) "
                 r"(for|of|on)\b|\bquote (for|on)\b|\blast close\b|how (much|high|low) (is|was|did)"):
        return None
    extra = {f"{k}_date": v for k, v in r.dates.items()}
    return _per_symbol("fetch_historical_data", r, **extra)


RULES = (freshness, quality, news, bars)
