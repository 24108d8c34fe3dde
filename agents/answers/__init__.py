"""The answer writer: plain-language answers from typed tool results, and the approval card every channel shows.

``write_answer(outcomes)`` answers a turn from its ``ToolOutcome``s (``turn_outcomes(messages)`` reads them
from the thread); ``approval_card(request)`` describes an approval request; ``describe_call`` says in words
what a tool call is doing. Numbers are formatted by ``quant.display`` and quoted only from the results.

The names are loaded on first use: the approval card and a decision's text (``approvals list|show``) need
neither the tools' result types nor LangChain, which the answer writer imports.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents.answers.approvals import ApprovalCard, approval_card
    from agents.answers.calls import describe_call
    from agents.answers.outcome import ToolOutcome, turn_outcomes
    from agents.answers.statuses import decision_text
    from agents.answers.writer import write_answer, write_one

_WHERE = {"ApprovalCard": "approvals", "approval_card": "approvals", "describe_call": "calls",
          "ToolOutcome": "outcome", "turn_outcomes": "outcome", "decision_text": "statuses",
          "write_answer": "writer", "write_one": "writer"}

__all__ = ["ApprovalCard", "ToolOutcome", "approval_card", "decision_text", "describe_call", "turn_outcomes",
           "write_answer", "write_one"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"agents.answers.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'agents.answers' has no attribute {name!r}")
