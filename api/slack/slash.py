"""``/quantpilot``: ``status``, ``positions``, ``clock`` (show, advance, set, real), ``check`` (each of a paper
account), ``kill switch on [reason]``, ``help``, each one service call as the caller's linked user; the services'
policy decides who may (the same rule as on every interface)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from api.slack.runtime import SlackRefusal, SlackRuntime, slack_actor
from api.slack.slash_check import check_command
from api.slack.slash_clock import clock_command
from errors import PermissionDenied, QuantpilotError
from guardrails.policy import Actor
from guardrails.redaction import redact
from quant.display import money, percent_points
from quant.display.book import holdings_text, kill_switch_text
from services.book_states import KILL_SWITCH_RELEASE
from services.execution import ExecutionService

HELP = ("`/quantpilot status [account]` — trading state, equity, drawdown and daily loss against the limits\n"
        "`/quantpilot positions [account]` — positions with mark, value and P&L, cash and equity (paper broker)\n"
        "`/quantpilot clock [account]` — the clock the account's book runs on (simulated market or real time)\n"
        "`/quantpilot clock advance N [days|sessions] [account]` — step the simulated market N sessions (stored "
        "bars) forward; resting orders fill at each new bar (traders)\n"
        "`/quantpilot clock set YYYY-MM-DD [account]` — put the simulated market on that date (backward only for "
        "an account without orders) (traders)\n"
        "`/quantpilot clock real [account]` — leave the simulated market: the account runs on real time (traders)\n"
        "`/quantpilot check BUY|SELL QTY SYMBOL [at PRICE] [account]` — would the risk policy pass this order now "
        "(a market order, or a limit order at PRICE)? Nothing is sent\n"
        "`/quantpilot kill switch on [--flatten] [reason]` — HALT trading now and cancel open orders (traders); "
        "`--flatten` also closes every position of the paper account (approvers) and lists each close")
COMMANDS = ("status", "positions", "clock", "check", "kill")


@dataclass(frozen=True)
class SlashReply:
    """What to answer: the text, and whether the whole channel sees it (a kill switch) or only the caller."""

    text: str
    in_channel: bool = False

    def ack_kwargs(self) -> dict:
        return {"text": redact(self.text), "response_type": "in_channel" if self.in_channel else "ephemeral"}


def parse(text: str) -> tuple[str, str]:
    """``(subcommand, rest)``; ``kill switch on because …`` -> ``("kill", "because …")``."""
    try:
        words = shlex.split(text or "")
    except ValueError:
        words = (text or "").split()
    if not words:
        return "help", ""
    head = words[0].lower()
    if head in ("kill", "kill-switch", "killswitch"):
        rest = words[1:]
        if rest and rest[0].lower() == "switch":
            rest = rest[1:]
        if not rest or rest[0].lower() != "on":
            return "kill-usage", ""
        return "kill", " ".join(rest[1:])
    return head, " ".join(words[1:])


def handle(runtime: SlackRuntime, slack_user_id: str, text: str) -> SlashReply:
    """The answer to ``/quantpilot text`` from ``slack_user_id``."""
    command, rest = parse(text)
    if command == "kill-usage":
        return SlashReply("usage: `/quantpilot kill switch on [reason]` (turning it off needs an approval: "
                          f"`{KILL_SWITCH_RELEASE}`)")
    if command not in COMMANDS:
        return SlashReply(HELP)
    actor = slack_actor(runtime.links, slack_user_id, runtime.count_request)
    if isinstance(actor, SlackRefusal):
        return SlashReply(f":no_entry: {actor.message}")
    try:
        if command == "status":
            return SlashReply(_status(runtime.book(_first(rest)), actor))
        if command == "positions":
            return SlashReply(_positions(runtime.book(_first(rest)), actor))
        if command == "clock":
            return SlashReply(clock_command(runtime, actor, _words(rest)))
        if command == "check":
            return SlashReply(check_command(runtime, actor, _words(rest)))
        return _kill(runtime, actor, rest)
    except PermissionDenied as exc:
        return SlashReply(f":no_entry: {exc.message}")
    except QuantpilotError as exc:
        return SlashReply(f":warning: {exc.message}")


def _words(rest: str) -> list[str]:
    try:
        return shlex.split(rest)
    except ValueError:
        return rest.split()


def _first(rest: str) -> str | None:
    """The first word (an account id), None when there is none."""
    words = _words(rest)
    return words[0] if words else None


def _status(service: ExecutionService, actor: Actor) -> str:
    from guardrails.trading_state import daily_loss_pct, drawdown_pct

    book, state, limits = service.risk_state(actor)
    lines = [f"*Trading state:* {state.status.value.upper()}" + (f" (halt `{state.halt_id}`)" if state.halt_id else "")
             + f" · account `{service.account}` · {service.market_clock().describe()}"]
    if state.reason:
        lines.append(f"*Why:* {state.reason}")
    if state.release:
        lines.append(f"*To lift it:* `{state.release}`")
    lines += [f"*Equity:* {money(book.equity_usd)} · *cash* {money(book.cash_usd)}",
              f"*Drawdown:* {percent_points(drawdown_pct(book))} (limit {percent_points(limits.max_drawdown_pct)})"
              f" · *daily loss:* {percent_points(daily_loss_pct(book))} "
              f"(limit {percent_points(limits.daily_loss_limit_pct)})"]
    return "\n".join(lines)


def _positions(service: ExecutionService, actor: Actor) -> str:
    held = service.holdings(actor).to_dict()
    return f"*Positions*\n```{holdings_text(held)}```"


def _kill(runtime: SlackRuntime, actor: Actor, reason: str) -> SlashReply:
    words = reason.split()
    flatten = "--flatten" in words
    reason = " ".join(w for w in words if w != "--flatten")
    report = runtime.execution().kill_switch_on(actor, reason=reason or f"kill switch from Slack by {actor.name}",
                                                flatten=flatten)
    head = ":warning:" if report.refused else ":rotating_light:"
    return SlashReply(f"{head} Trading HALTED by *{actor.name}*\n```{kill_switch_text(report.to_dict())}```\n"
                      f"Resuming needs an approval. To lift it: `{report.state.release}`", in_channel=True)
