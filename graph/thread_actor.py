"""The Actor a graph run acts for: the thread's user (name, stored id, role) through the run's channel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graph.context import GraphContext
from guardrails.policy import Actor, Channel, Role


def actor_of(user: Mapping[str, Any] | None, channel: str) -> Actor:
    """The Actor of a thread's ``UserRef`` (``{"id": name, "user_id": id, "role": role}``); an unknown channel
    counts as the agents' own."""
    user = user or {}
    try:
        via = Channel(channel)
    except ValueError:
        via = Channel.AGENT
    return Actor(user.get("user_id"), str(user.get("id") or "anonymous"), Role.parse(user.get("role") or "viewer"),
                 via)


def thread_actor(state: Mapping[str, Any], ctx: GraphContext) -> Actor:
    return actor_of(state.get("user"), ctx.channel)
