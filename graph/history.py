"""What a model call sees of a long thread, and how much of the thread its checkpointed state holds.

The model sees its system prompt, one thread note, recent turns and this turn. The thread note
holds the thread context (the last research run, so "run a walk-forward of it" can be resolved),
the user's recollections from long-term memory, and one summary line for the turns not shown.
Recollections, the summary line and earlier turns are capped at ``HistoryPolicy.share`` of the prompt plus
the current turn (characters), so a model call at turn 200 costs at most ``1 + share`` times one at turn 1
plus the context line, which is kept whole and bounded (``graph.agent_nodes.remembered``).

The state holds a bounded tail of the thread too (``StateWindow``): when a new turn starts with
more than ``max_turns`` earlier turns in the state, all but the last ``keep_turns`` move to the
thread's transcript store (``graph.runner`` writes them) and one summary message (a
``SystemMessage`` with id ``SUMMARY_ID``, wherever it sits in the state; readers skip it) counts them
and keeps their latest questions. Only whole turns move, so a tool call never leaves without its results.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from agents.specs import CONTEXT_PREFIX
from graph.context import HistoryPolicy

RECOLLECTION_TEXT_CHARS = 160
SUMMARY_ID = "thread-history-summary"  # the id of the state's summary message (add_messages merges by id)
SUMMARY_KEY = "archived_history"  # its additional_kwargs entry: {turns, messages, asked}
ASKED_KEPT = 3  # latest archived questions the summary keeps


@dataclass(frozen=True)
class StateWindow:
    """How many turns a thread's checkpointed state holds: after more than ``max_turns`` earlier turns, all but
    the last ``keep_turns`` are archived (so the state holds between ``keep_turns`` and ``max_turns`` of them,
    and the cost of archiving is paid once every ``max_turns - keep_turns`` turns)."""

    keep_turns: int = 3
    max_turns: int = 6

    def __post_init__(self) -> None:
        if not 1 <= self.keep_turns <= self.max_turns:
            raise ValueError(f"StateWindow needs 1 <= keep_turns <= max_turns, got {self.keep_turns}/{self.max_turns}")


@dataclass(frozen=True)
class Compaction:
    """The state's next messages: ``archived`` leave it (for the transcript store, at thread positions
    ``first_position`` onwards), ``kept`` stay, ``summary`` replaces the summary message (or is added)."""

    archived: list[BaseMessage]
    kept: list[BaseMessage]
    summary: SystemMessage
    first_position: int


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


def _asked(turns: list[list[BaseMessage]]) -> list[str]:
    return [str(t[0].content)[:60] for t in turns if isinstance(t[0], HumanMessage)]


def split_summary(messages: Sequence[BaseMessage]) -> tuple[dict[str, Any], list[BaseMessage]]:
    """(``{turns, messages, asked}`` of the turns already archived out of this state, zeros when none were;
    the state's other messages, in order)."""
    archived: dict[str, Any] = {"turns": 0, "messages": 0, "asked": []}
    body = []
    for message in messages:
        if message.id == SUMMARY_ID and isinstance(message.additional_kwargs.get(SUMMARY_KEY), dict):
            archived = dict(message.additional_kwargs[SUMMARY_KEY])
        else:
            body.append(message)
    return archived, body


def summary_line(dropped: list[list[BaseMessage]], limit: int, archived: dict[str, Any] | None = None) -> str:
    """One line for the turns the model does not see: ``dropped`` from the state plus those ``archived``."""
    archived = archived or {}
    count = int(archived.get("turns", 0)) + len(dropped)
    if not count:
        return ""
    asked = [*archived.get("asked", []), *_asked(dropped)][-ASKED_KEPT:]
    text = f"{count} earlier turn(s) of this thread are not shown; the latest asked: " + \
        "; ".join(f'"{a}"' for a in asked)
    return text[:limit]


def _open_calls(messages: Sequence[BaseMessage]) -> set[str]:
    """Tool-call ids among ``messages`` that no ToolMessage among them answers."""
    called = {c["id"] for m in messages if isinstance(m, AIMessage) for c in m.tool_calls}
    return called - {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}


def compact(messages: Sequence[BaseMessage], window: StateWindow) -> Compaction | None:
    """How to shrink a state holding ``messages`` before a new turn starts; None while it is within ``window``.

    Whole turns only, and never a turn with a tool call answered in a later turn (the cut moves back)."""
    archived, body = split_summary(messages)
    turns = _turns(body)
    if len(turns) <= window.max_turns:
        return None
    cut = len(turns) - window.keep_turns
    while cut > 0 and _open_calls([m for t in turns[:cut] for m in t]):
        cut -= 1
    if cut == 0:
        return None
    moved = [m for t in turns[:cut] for m in t]
    summary = {"turns": archived["turns"] + cut, "messages": archived["messages"] + len(moved),
               "asked": [*archived["asked"], *_asked(turns[:cut])][-ASKED_KEPT:]}
    text = summary_line([], 10_000, summary).replace("are not shown", "are archived")
    return Compaction(moved, [m for t in turns[cut:] for m in t],
                      SystemMessage(content=text, id=SUMMARY_ID, additional_kwargs={SUMMARY_KEY: summary}),
                      archived["messages"])


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
    archived, messages = split_summary(messages)
    last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=0)
    current, earlier = list(messages[last_human:]), _turns(messages[:last_human])
    # the thread context line is kept whole (what "it" means is small and cannot be cut); the rest is capped
    context, _, note = note.partition("\n") if note.startswith(CONTEXT_PREFIX) else ("", "", note)
    allowance = int(policy.share * (size(prompt) + sum(size(m) for m in current)))
    room = allowance - len(note) - (policy.summary_chars + 1 if earlier or archived["turns"] else 0)
    kept: list[list[BaseMessage]] = []
    for turn in reversed(earlier):
        turn_size = sum(size(m) for m in turn)
        if turn_size > room:
            break
        kept.insert(0, turn)
        room -= turn_size
    dropped = earlier[: len(earlier) - len(kept)]
    line = summary_line(dropped, policy.summary_chars, archived)
    text = "\n".join(part for part in (context, "\n".join(p for p in (note, line) if p)[:max(allowance, 0)]) if part)
    head: list[BaseMessage] = [prompt, SystemMessage(content=text)] if text else [prompt]
    return [*head, *(m for turn in kept for m in turn), *current]
