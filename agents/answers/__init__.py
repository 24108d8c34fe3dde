"""The answer writer: plain-language answers from typed tool results, and the approval card every channel shows.

``write_answer(outcomes)`` answers a turn from its ``ToolOutcome``s (``turn_outcomes(messages)`` reads them
from the thread); ``approval_card(request)`` describes an approval request; ``describe_call`` says in words
what a tool call is doing. Numbers are formatted by ``quant.display`` and quoted only from the results.
"""

from agents.answers.approvals import ApprovalCard, approval_card
from agents.answers.calls import describe_call
from agents.answers.outcome import ToolOutcome, turn_outcomes
from agents.answers.writer import decision_text, write_answer, write_one

__all__ = ["ApprovalCard", "ToolOutcome", "approval_card", "decision_text", "describe_call", "turn_outcomes",
           "write_answer", "write_one"]
