"""Answers for results that are not a tool's own data: a refusal, an error, something unavailable, a call that
was not run, and the outcome of a human decision (approved and applied, rejected, or no longer valid)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from agents.answers.approvals import approval_card, limit_changes_text
from agents.answers.outcome import ToolOutcome
from agents.answers.phrasing import clause, fields_line, sentence, tool_words
from quant.display import money, quantity

# pydantic's "[type=…, input_value=…]" and "For further information visit …" are for programmers
_PYDANTIC_NOISE = re.compile(r"\s*\[type=[^\]]*\]|\n?\s*For further information visit \S+")
_LIST_REPR = re.compile(r"\[((?:'[^']*'(?:, )?)+)\]")
_ORDER_REFUSED = re.compile(r"^order \S+ refused by [A-Z_, ]+:\s*", re.IGNORECASE)


def readable(message: Any) -> str:
    """A service or validation message as people read it: no pydantic internals, lists written out."""
    text = _PYDANTIC_NOISE.sub("", str(message or "")).strip()
    text = _LIST_REPR.sub(lambda m: m.group(1).replace("'", ""), text)
    return re.sub(r"\s*\n\s*", "; ", text)


def _codes(payload: Mapping[str, Any]) -> str:
    codes = payload.get("codes") or ([payload["code"]] if payload.get("code") else [])
    return ", ".join(str(c).lower().replace("_", " ") for c in codes)


def write_refusal(outcome: ToolOutcome) -> str:
    payload = outcome.payload
    why = _codes(payload)
    message = clause(_ORDER_REFUSED.sub("", readable(payload.get("message"))))
    return f"Not done ({why}): {message}" if why else f"Not done: {message}"


def write_error(outcome: ToolOutcome) -> str:
    message = readable(outcome.payload.get("message") or outcome.payload.get("code") or "it failed")
    return f"{tool_words(outcome.name).capitalize()} did not work: {clause(message)}"


def write_unavailable(outcome: ToolOutcome) -> str:
    reason = readable(outcome.payload.get("reason") or "it is not available here")
    return f"{tool_words(outcome.name).capitalize()} is not available: {clause(reason)}"


def write_not_run(outcome: ToolOutcome) -> str:
    reason = str(outcome.payload.get("reason") or "the turn stopped").replace("_", " ")
    return f"{tool_words(outcome.name).capitalize()} was not run ({reason})."


def _effect(payload: Mapping[str, Any]) -> str:
    if payload.get("effect") == "stage_transition":
        return f"{payload.get('strategy_id')} is now at {payload.get('stage')} (version {payload.get('version')})"
    if payload.get("sent"):
        filled = payload.get("filled_qty")
        fill = (f", {quantity(filled)} filled at {money(payload.get('avg_fill_price'))}"
                if filled and payload.get("avg_fill_price") is not None else "")
        return (f"{payload.get('side')} {quantity(payload.get('qty'))} {payload.get('symbol')} was sent as order "
                f"{payload.get('client_order_id')} ({str(payload.get('order_status', '')).replace('_', ' ')}{fill})")
    if isinstance(payload.get("applied"), Mapping) and payload["applied"]:
        return f"the new risk limits are in force: {limit_changes_text(payload['applied'])}"
    if payload.get("trading_status"):
        return f"trading is {payload['trading_status']}"
    if payload.get("note"):
        return str(payload["note"])
    return fields_line(payload, skip=("status", "tool", "approval_id", "approver", "comment", "effect"))


def write_approved(outcome: ToolOutcome) -> str:
    p = outcome.payload
    comment = f' ("{p["comment"]}")' if p.get("comment") else ""
    return f"Approved by {p.get('approver')}{comment} (approval {p.get('approval_id')}): {clause(_effect(p))}"


def write_rejected(outcome: ToolOutcome) -> str:
    p = outcome.payload
    return (f"Rejected by {p.get('approver')} (approval {p.get('approval_id')}): "
            f"{clause(str(p.get('reason') or 'no reason given'))} Nothing was changed.")


def write_invalid(outcome: ToolOutcome) -> str:
    p = outcome.payload
    code = str(p.get("code") or "invalid").replace("_", " ")
    details = readable(fields_line(p.get("details") or {}, skip=())) if isinstance(p.get("details"), Mapping) else ""
    return (f"Approval {p.get('approval_id')} was not applied ({code}" + (f": {details}" if details else "")
            + "). Nothing was changed; ask again to start a new request.")


def write_approval_required(outcome: ToolOutcome) -> str:
    p = outcome.payload
    card = approval_card({"kind": p.get("kind"), "subject": p.get("subject") or {},
                          "evidence": p.get("evidence") or {}, "requester": p.get("requested_by"),
                          "summary": p.get("reason"), "id": "(not stored yet)"})
    return f"This needs a human approval first: {card.title}."


STATUS_WRITERS = {
    "refused": write_refusal, "error": write_error, "unavailable": write_unavailable, "not_run": write_not_run,
    "approved": write_approved, "rejected": write_rejected, "approval_invalid": write_invalid,
    "approval_required": write_approval_required,
}


def write_plain(outcome: ToolOutcome) -> str:
    shown = fields_line(outcome.data)
    return f"{tool_words(outcome.name).capitalize()}: {sentence(shown)}" if shown else \
        f"{tool_words(outcome.name).capitalize()} is done."


def decision_text(outcome: dict | None, tool: str = "approval") -> str:
    """What a closed approval did, in words (its stored outcome: applied, rejected, expired or invalid)."""
    if not isinstance(outcome, dict) or not outcome:
        return ""
    written = ToolOutcome(tool, outcome)
    by_status = STATUS_WRITERS.get(written.status)
    return (by_status(written) if by_status else "") or write_plain(written)
