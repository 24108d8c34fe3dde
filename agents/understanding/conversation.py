"""Requests about the conversation itself: attempts to get around a guardrail (refused), help, and follow-ups
that repeat the thread's last tool call for other symbols or dates ("the same for MSFT", "what about 2018?")."""

from __future__ import annotations

from typing import Any

from agents.understanding.plans import Plan, PlannedCall, PlanRefusal, Reply
from agents.understanding.request import Request

_BYPASS: tuple[tuple[str, str], ...] = (
    (r"\b(skip|bypass|avoid|ignore|override|circumvent|disable)\b.{0,30}\b(approvals?|risk|guardrails?|checks?|"
     r"limits?|policy|gate|kill[- ]?switch)", "guardrail_bypass_requested"),
    (r"\bwithout\b.{0,20}\b(approvals?|approving|sign[- ]?off|review|risk checks?)", "approval_bypass_requested"),
    (r"\b(silently|quietly|secretly|behind)\b", "unrecorded_change_requested"),
    (r"\bno (approval|review|risk check)", "approval_bypass_requested"),
)
_HELP = (r"^\W*(help( me| please)?|menu|commands|options|\?+)\W*$|what (else )?can (you|i) (do|ask|say)|what do you do|"
         r"how do (i|you) (use|work)|what are you|who are you|capabilit|what can quantpilot|"
         r"^\W*(hi|hello|hey|yo|good (morning|afternoon|evening))\b\W*$|what (kind of )?(things|questions|requests)")
_FOLLOW_UP = (r"^\W*(and|what about|how about|same|now|also|then|ok|okay)\b|\b(the same|same thing|same for|again|"
              r"too|as well|instead)\b")


def bypass(r: Request) -> PlanRefusal | None:
    for pattern, code in _BYPASS:
        if r.has(pattern):
            return PlanRefusal(code, "the offline planner will not help get around approvals, risk checks or the "
                               "audit trail; ask for the action itself and it will go through approval",
                               {"request": r.text[:200]})
    if r.has(r"go(ing)? live\b.*\b(now|immediately|today)\b"):
        return PlanRefusal("approval_bypass_requested", "going live needs the live approval; ask to promote to live",
                           {"request": r.text[:200]})
    return None


def help_request(r: Request) -> Reply | None:
    if r.has(_HELP):
        from agents.capabilities import capabilities_text

        return Reply("help", capabilities_text())
    return None


def _swap(name: str, args: dict[str, Any], r: Request) -> list[dict[str, Any]]:
    """The last call's arguments with this request's symbols and dates in place of its own (one set per symbol
    for a one-symbol tool)."""
    if "symbol" in args:
        dated = {f"{k}_date": v for k, v in r.dates.items()} if name == "fetch_historical_data" else {}
        return [{**args, **dated, "symbol": s} for s in r.symbols or [args["symbol"]]]
    out = dict(args)
    if "symbols" in out and r.symbols:
        out["symbols"] = r.symbols
    config = out.get("strategy_config")
    if isinstance(config, dict) and r.symbols:
        out["strategy_config"] = {**config, "symbols": r.symbols}
    if "date_range" in out and r.dates:
        out["date_range"] = dict(r.dates)
    return [out]


def _repeatable(r: Request) -> list[dict[str, Any]]:
    """The calls a follow-up may repeat, most recent first: the last call, then the last research run."""
    calls = [r.last_call] if r.last_call else []
    run = r.last_run
    if run and run.get("tool") and isinstance(run.get("strategy_config"), dict):
        calls.append({"name": run["tool"], "args": {"strategy_config": run["strategy_config"],
                                                    "date_range": run.get("date_range") or {}}})
    return calls


def follow_up(r: Request) -> Plan | None:
    """The last call again for the symbols or dates this request names ("what about JNJ?", "and since 2018?")."""
    if not (r.symbols or r.dates) or not r.has(_FOLLOW_UP) or len(r.low.split()) > 12:
        return None
    for call in _repeatable(r):
        before = dict(call.get("args") or {})
        calls = _swap(str(call["name"]), before, r)
        if calls and calls != [before]:
            return Plan(tuple(PlannedCall(str(call["name"]), args) for args in calls))
    return None

