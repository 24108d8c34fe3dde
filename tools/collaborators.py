"""Collaborators a run may be built without (database, broker, long-term memory).

A tool that needs one of them and finds it missing answers with a structured ``unavailable``
result naming it, instead of crashing the conversation. Services that exist in the code base are
imported directly by the tools; only run-scoped collaborators go through ``require``.
"""

from __future__ import annotations

from typing import Any

from errors import QuantpilotError


class ServiceUnavailable(QuantpilotError):
    """A collaborator (database, broker, memory) is not configured for this run."""

    code = "service_unavailable"


def require(value: Any, what: str) -> Any:
    """``value`` unless it is None (a collaborator this run was built without)."""
    if value is None:
        raise ServiceUnavailable(f"no {what} configured for this run", details={"missing": what})
    return value
