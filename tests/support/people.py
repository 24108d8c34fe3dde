"""People for tests: an ``Actor`` of a given role, as every interface hands the services one."""

from __future__ import annotations

import itertools

from guardrails.policy import Actor, Channel, Role

_ids = itertools.count(10_001)


def person(name: str, role: str = "trader", *, user_id: int | None = None, channel: str = "cli") -> Actor:
    """An authenticated person (a fresh user id unless given) acting through ``channel``."""
    return Actor(next(_ids) if user_id is None else user_id, name, Role.parse(role), Channel(channel))


def ref(actor: Actor) -> dict:
    """The graph's ``UserRef`` of ``actor`` (a thread's user)."""
    return {"id": actor.name, "role": actor.role.value, "user_id": actor.user_id}


# The people of the integration tests, each with a fixed id (the services tell people apart by id). They may all
# decide approvals; whoever asked for an approval still never decides it.
ALICE = person("alice", "approver", user_id=1)
BOB = person("bob", "approver", user_id=2)
CAROL = person("carol", "approver", user_id=3)
DANA = person("dana", "trader", user_id=4)
EVE = person("eve", "viewer", user_id=5)
ADA = person("ada", "admin", user_id=6)
BY_NAME = {a.name: a for a in (ALICE, BOB, CAROL, DANA, EVE, ADA)}


def via(actor: Actor, channel: str) -> Actor:
    """``actor`` acting through ``channel``."""
    return actor.via(Channel(channel))

SYSTEM = Actor.system("test-setup")  # a test's own set-up (loading fixtures), never a person
