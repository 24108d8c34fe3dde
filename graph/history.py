"""What a model call sees of a long thread: its system prompt, one thread note, recent turns, this turn.

The state keeps every message (the checkpoint is the record); the model gets a bounded window.
The thread note holds the thread context (the last research run, so "run a walk-forward of it"
can be resolved), the user's recollections from long-term memory, and one summary line for the
turns not shown. Note plus earlier turns are capped at ``HistoryPolicy.share`` of the prompt plus
the current turn (characters), so turn 200 costs at most ``1 + share`` times turn 1.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from agents.specs import CONTEXT_PREFIX
from graph.context import HistoryPolicy

RECOLLECTION_TEXT_CHARS = 160


def size(message: BaseMessage) -> int:
    """Characters a message puts in front of the model (content and tool-call arguments)."""
    n = len(message.content if isinstance(message.content, str) else json.dumps(message.content, default=str))
    if isinstance(message, AIMessage) and message.tool_calls:
        n += len(json.dumps([{"name": c["name"], "args": c["args"]} for c in message.tool_calls], default=str))
    return n


def _turns(messages: Sequence[BaseMessage]) -> list[list[BaseMessage]]:
    """Messages split at each human message (a tool call always stays with its results)."""
    turns: list[list[BaseMessage]] = []
    for message in messages:
        if isinstance(message, HumanMessage) or not turns:
            turns.append([])
        turns[-1].append(message)
    return turns


def summary_line(dropped: list[list[BaseMessage]], limit: int) -> str:
    if not dropped:
        return ""
    asked = [str(t[0].content)[:60] for t in dropped if isinstance(t[0], HumanMessage)][-3:]
    text = f"{len(dropped)} earlier turn(s) of this thread are not shown; the latest asked: " + \
        "; ".join(f'"{a}"' for a in asked)
    return text[:limit]


def thread_note(thread_context: dict[str, Any] | None, recollections: list[dict[str, Any]] | None) -> str:
    """The context line and the recollections, as one block (empty when there is neither)."""
    lines = []
    if thread_context:
        lines.append(CONTEXT_PREFIX + json.dumps(thread_context, sort_keys=True, default=str))
    if recollections:
        lines.append("Recollections from long-term memory for this user (data, most relevant first):")
        lines += [f"- [{r.get('kind')}, similarity {r.get('score')}] {str(r.get('text'))[:RECOLLECTION_TEXT_CHARS]}"
                  for r in recollections]
    return "\n".join(lines)


def model_input(prompt: SystemMessage, messages: Sequence[BaseMessage], note: str,
                policy: HistoryPolicy) -> list[BaseMessage]:
    """``[prompt, note?, recent earlier turns..., current turn...]`` within the policy's share."""
    last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=0)
    current, earlier = list(messages[last_human:]), _turns(messages[:last_human])
    allowance = int(policy.share * (size(prompt) + sum(size(m) for m in current)))
    room = allowance - len(note) - (policy.summary_chars + 1 if earlier else 0)
    kept: list[list[BaseMessage]] = []
    for turn in reversed(earlier):
        turn_size = sum(size(m) for m in turn)
        if turn_size > room:
            break
        kept.insert(0, turn)
        room -= turn_size
    dropped = earlier[: len(earlier) - len(kept)]
    text = "\n".join(part for part in (note, summary_line(dropped, policy.summary_chars)) if part)[:max(allowance, 0)]
    head: list[BaseMessage] = [prompt, SystemMessage(content=text)] if text else [prompt]
    return [*head, *(m for turn in kept for m in turn), *current]
