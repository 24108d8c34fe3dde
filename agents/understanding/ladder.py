"""Promotion requests (``draft → backtested → paper → live``) and questions about approvals.

"Promote run 12 to paper", "promote strategy sma-aapl to paper", "promote this strategy to paper trading",
"put it into paper trading", "go live with it": the subject is a run id, a strategy id, or the thread's last
run. Deciding an approval is a person's act on another channel, so such requests get a pointer there."""

from __future__ import annotations

import re

from agents.understanding.plans import Plan, Reply, one
from agents.understanding.request import Request

_STAGES = ((r"\blive\b|production|real money", "live"), (r"\bpaper\b", "paper"),
           (r"\bbacktested\b|\breview(ed)?\b|\bapproved strateg", "backtested"))
_PROMOTE = (r"\b(promot\w*|mov\w*|put|putting|take|taking|send|graduat\w*|advanc\w*|push\w*|submit\w*|upgrad\w*|"
            r"bump\w*|get)\b.{0,60}?\b(to|into|for|onto|on)\s+(the\s+)?(backtested|paper|live|review|production)|"
            r"\b(paper|live)[- ]trad\w*\b.{0,20}\b(it|this|that|run|strategy)\b|\bstart (paper|live) trading\b|"
            r"\bgo(ing)? live with\b")
_STRATEGY_ID = re.compile(r"\bstrategy\s+([a-z0-9][\w.-]*[_\-.\d][\w.-]*)", re.I)
_DECIDE = "Approvals are decided by an approver, not by the agents: " \
    "`quantpilot approvals list` and `quantpilot approvals approve ID` in a terminal signed in as an approver, " \
    "the Approvals page of the web app (/web/approvals), or the buttons on the Slack card."


def promotion(r: Request) -> Plan | Reply | None:
    if not r.has(_PROMOTE):
        return None
    stage = next((name for pattern, name in _STAGES if r.has(pattern)), None)
    if stage is None:
        return None
    ids = r.run_ids()
    if ids:
        return one("request_promotion", run_id=ids[0], to_stage=stage)
    named = _STRATEGY_ID.search(r.text)
    if named and not r.refers_back:
        return one("request_promotion", strategy_id=named.group(1), to_stage=stage)
    if r.last_run:
        return one("request_promotion", run_id=int(r.last_run["run_id"]), to_stage=stage)
    return Reply("clarify", f"Which strategy? Name the run that backs it (\"promote run 12 to {stage}\") or "
                 "run a backtest first in this conversation.", "request_promotion")


def approvals(r: Request) -> Reply | None:
    if r.has(r"\b(pending|open|outstanding|waiting)\b.{0,20}\bapprovals?\b|\bapprovals?\b.{0,20}\b(pending|open|"
             r"waiting|queue|list)\b|\b(approve|reject)\s+(apr_\w+|approval|request)\b"):
        return Reply("elsewhere", _DECIDE)
    return None


RULES = (promotion, approvals)
