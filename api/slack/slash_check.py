"""``/quantpilot check BUY|SELL QTY SYMBOL [at PRICE] [account]``: would the risk policy pass this order at the
account's clock? Nothing is sent. The same service as ``quantpilot risk check`` and ``POST /api/v1/risk/check``
(``services.pre_trade_check.check_order``), the same verdict in the same words; a market order, or a limit order
at PRICE."""

from __future__ import annotations

from typing import TYPE_CHECKING

from errors import ConfigError
from quant.display import money, quantity
from quant.display.risk_check import check_verdict

if TYPE_CHECKING:
    from api.slack.runtime import SlackRuntime
    from guardrails.policy import Actor

USAGE = "`/quantpilot check BUY|SELL QTY SYMBOL [at PRICE] [account]`"


def check_command(runtime: SlackRuntime, actor: Actor, words: list[str]) -> str:
    """The verdict on the order ``words`` describe; a ConfigError naming what is missing, extra or not an order."""
    from services.pre_trade_check import check_order

    if len(words) < 3:
        raise ConfigError(f"which order? write {USAGE}, e.g. `/quantpilot check buy 10 AAPL at 150`",
                          details={"field": "text"})
    side, qty, symbol, rest = words[0].lower(), words[1].replace(",", ""), words[2], words[3:]
    fields = {"symbol": symbol, "side": side, "qty": qty, "strategy_id": "manual", "order_type": "market"}
    if rest and rest[0].lower() == "at":
        if len(rest) < 2:
            raise ConfigError(f"at what price? write {USAGE}", details={"field": "limit_price"})
        fields.update(order_type="limit", limit_price=rest[1].lstrip("$").replace(",", ""))
        rest = rest[2:]
    if len(rest) > 1:
        raise ConfigError(f"too many words: {' '.join(rest)!r}; write {USAGE}", details={"field": "text"})
    service = runtime.book(rest[0] if rest else None)
    answer = check_order(service, actor, **fields)
    data = answer.to_dict()
    if answer.invalid_field is not None:  # no order to check: bad input, named (the API's 422)
        raise ConfigError(f"{data['reason']} — write {USAGE}", details={"field": answer.invalid_field})
    order = f"{side} {quantity(qty)} {symbol.strip().upper()}" + (f" at {money(fields['limit_price'])}"
                                                                  if "limit_price" in fields else "")
    head = ":white_check_mark:" if answer.approved else ":x:"
    return f"{head} *Risk check* of `{order}` in account `{service.account}`: {check_verdict(data)}"
