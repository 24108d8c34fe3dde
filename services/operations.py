"""``@operation``: how a service method declares which policy operation it performs.

The decorated method's first argument after ``self`` is the acting ``Actor``; the policy table is asked
before the method body runs (``PermissionDenied`` otherwise), and, unless ``one_transaction=False``, the
body runs in one unit of work, so the change and its audit row are stored together or not at all.
``IMPLEMENTATIONS`` lists every decorated method by operation: the audit test walks it and fails when an
audited operation has no exercise or writes no audit row.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from functools import wraps
from typing import Any, Concatenate

from guardrails.policy import Actor, Operation, require

IMPLEMENTATIONS: dict[Operation, list[str]] = {}


def operation[S, **P, R](op: Operation, *, one_transaction: bool = True
                         ) -> Callable[[Callable[Concatenate[S, Actor, P], R]], Callable[Concatenate[S, Actor, P], R]]:
    """Authorise ``op`` for the actor, then run the method (in one transaction of ``self.database``)."""

    def decorate(method: Callable[Concatenate[S, Actor, P], R]) -> Callable[Concatenate[S, Actor, P], R]:
        @wraps(method)
        def run(self: S, actor: Actor, *args: P.args, **kwargs: P.kwargs) -> R:
            require(actor, op)
            scope: Any = self.database.unit_of_work() if one_transaction else nullcontext()  # type: ignore[attr-defined]
            with scope:
                return method(self, actor, *args, **kwargs)

        run.operation = op  # type: ignore[attr-defined]
        IMPLEMENTATIONS.setdefault(op, []).append(method.__qualname__)
        return run

    return decorate
