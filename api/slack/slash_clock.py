"""``/quantpilot clock …``: show a paper account's market clock, or move its simulated market (``advance``, ``set``,
``real``) through ``MarketClockService``, the service behind ``quantpilot paper clock`` and ``POST /api/v1/clock/…``.
Who may move it (a trader, on record) is that service's rule; here only the words of the command are read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from errors import ConfigError
from quant.display.clock import clock_advance_text, clock_text

if TYPE_CHECKING:
    from api.slack.runtime import SlackRuntime
    from guardrails.policy import Actor
    from services.market_clock import AccountClock

USAGE = {"advance": "`/quantpilot clock advance N [days|sessions] [account]`",
         "set": "`/quantpilot clock set YYYY-MM-DD [account]`",
         "real": "`/quantpilot clock real [account]`",
         "show": "`/quantpilot clock [account]`"}
UNITS = ("day", "days", "session", "sessions")  # the CLI's --days counts sessions (stored bars) too


def clock_command(runtime: SlackRuntime, actor: Actor, words: list[str]) -> str:
    """The answer to ``/quantpilot clock`` + ``words``; a ConfigError naming what is wrong with them."""
    head = words[0].lower() if words else ""
    if head == "advance":
        return _advance(runtime, actor, words[1:])
    if head == "set":
        return _set(runtime, actor, words[1:])
    if head == "real":
        return _real(runtime, actor, words[1:])
    clock = runtime.book(_account(words, "show")).account_clock(actor)
    return f"*Clock* of account `{clock.account_id}`: {clock.describe()}"


def _advance(runtime: SlackRuntime, actor: Actor, words: list[str]) -> str:
    from services.market_clock import MarketClockService

    sessions = 1
    if words:
        try:
            sessions = int(words[0].replace(",", ""))
        except ValueError:
            raise ConfigError(f"{words[0]!r} is not a whole number of sessions: write {USAGE['advance']}",
                              details={"field": "days"}) from None
        words = words[1:]
    if words and words[0].lower() in UNITS:
        words = words[1:]
    service = runtime.book(_account(words, "advance"))
    report = MarketClockService(service.database, service.settings).advance(actor, service.account, sessions=sessions)
    return f"*Clock moved* by *{actor.name}*\n```{clock_advance_text(report.to_dict())}```"


def _set(runtime: SlackRuntime, actor: Actor, words: list[str]) -> str:
    from services.market_clock import MarketClockService, moment_of

    if not words:
        raise ConfigError(f"which date? write {USAGE['set']}", details={"field": "date"})
    when = moment_of(words[0], "date")
    service = runtime.book(_account(words[1:], "set"))
    return _moved(actor, MarketClockService(service.database, service.settings).set_to(actor, service.account, when))


def _real(runtime: SlackRuntime, actor: Actor, words: list[str]) -> str:
    from services.market_clock import MarketClockService

    service = runtime.book(_account(words, "real"))
    return _moved(actor, MarketClockService(service.database, service.settings).use_real_time(actor, service.account))


def _moved(actor: Actor, clock: AccountClock) -> str:
    return f"*Clock set* by *{actor.name}*: {clock_text(clock.account_id, clock.describe())}"


def _account(words: list[str], command: str) -> str | None:
    """The one optional account word left; a ConfigError for anything more."""
    if len(words) > 1:
        raise ConfigError(f"too many words: {' '.join(words)!r}; write {USAGE[command]}", details={"field": "text"})
    return words[0] if words else None
