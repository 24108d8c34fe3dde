"""``/quantpilot``: ``status``, ``positions``, ``kill switch on [reason]``, ``help``. Each subcommand is
checked like the tool it mirrors (``authorize_tool_call`` on the caller's linked role)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from api.slack.runtime import CHANNEL, SlackRefusal, SlackRuntime, permit
from errors import QuantpilotError
from guardrails.redaction import redact
from quant.display import money, percent_points, quantity

HELP = ("`/quantpilot status` — trading state, equity, drawdown and daily loss against the limits\n"
        "`/quantpilot positions` — positions, cash and equity (paper broker)\n"
        "`/quantpilot kill switch on [reason]` — HALT trading now and cancel open orders (approvers)")

# subcommand -> the POLICY tool whose role it needs
TOOL_FOR = {"status": "check_kill_switch", "positions": "get_positions", "kill": "set_kill_switch"}


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
                          "`quantpilot orders kill-switch request-off`)")
    if command not in TOOL_FOR:
        return SlashReply(HELP)
    allowed = permit(runtime.links, slack_user_id, TOOL_FOR[command])
    if isinstance(allowed, SlackRefusal):
        return SlashReply(f":no_entry: {allowed.message}")
    try:
        if command == "status":
            return SlashReply(_status(runtime))
        if command == "positions":
            return SlashReply(_positions(runtime))
        return _kill(runtime, allowed.user.name, rest)
    except QuantpilotError as exc:
        return SlashReply(f":warning: {exc.message}")


def _status(runtime: SlackRuntime) -> str:
    from guardrails.trading_state import daily_loss_pct, drawdown_pct

    service = runtime.execution()
    book = service.book()
    state = service.trading_state(book)
    limits = service.limits.current()
    return (f"*Trading state:* {state.status.value.upper()}" + (f" (halt `{state.halt_id}`)" if state.halt_id else "")
            + f"\n*Equity:* {money(book.equity_usd)} · *cash* {money(book.cash_usd)}"
            + f"\n*Drawdown:* {percent_points(drawdown_pct(book))} (limit {percent_points(limits.max_drawdown_pct)})"
            + f" · *daily loss:* {percent_points(daily_loss_pct(book))} "
            f"(limit {percent_points(limits.daily_loss_limit_pct)})")


def _positions(runtime: SlackRuntime) -> str:
    broker = runtime.execution().broker
    account = broker.get_account()
    rows = [p for p in broker.get_positions() if p.qty != 0]
    lines = [f"*Positions* (cash {money(account.cash_usd)}, equity {money(account.equity_usd)})"]
    lines += [f"• {p.symbol}: {quantity(p.qty)} shares at {money(p.avg_entry_price)} on average"
              for p in rows[:50]] or ["(no positions)"]
    return "\n".join(lines)


def _kill(runtime: SlackRuntime, actor: str, reason: str) -> SlashReply:
    report = runtime.execution().kill_switch_on(actor=actor, channel=CHANNEL,
                                                reason=reason or f"kill switch from Slack by {actor}")
    return SlashReply(f":rotating_light: Trading HALTED by *{actor}* (halt `{report.state.halt_id}`); "
                      f"canceled {len(report.canceled)} open orders. Resuming needs an approval.", in_channel=True)
