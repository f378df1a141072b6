"""Load-balancing policies, chosen by name through the ``ipcluster.scheduler_policies`` entry point.

A policy picks one engine among those with room for another task. A third
party ships its own by registering a class with the same ``choose`` method
under that entry point group.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import Protocol, TypeVar

ENTRY_POINT_GROUP = "ipcluster.scheduler_policies"


class EngineSlot(Protocol):
    engine_id: int
    outstanding: dict
    completed: int
    last_assigned: int


Slot = TypeVar("Slot", bound=EngineSlot)


class Policy(Protocol):
    def choose(self, candidates: Sequence[Slot]) -> Slot: ...


class LeastLoad:
    """The engine with the fewest outstanding tasks; the lowest id on a tie."""

    def choose(self, candidates: Sequence[Slot]) -> Slot:
        return min(candidates, key=lambda slot: (len(slot.outstanding), slot.engine_id))


class PlainRandom:
    """Any engine with room, uniformly at random."""

    def choose(self, candidates: Sequence[Slot]) -> Slot:
        return random.choice(list(candidates))


class LeastRecentlyUsed:
    """The engine that got a task longest ago: round robin among engines with room."""

    def choose(self, candidates: Sequence[Slot]) -> Slot:
        return min(candidates, key=lambda slot: (slot.last_assigned, slot.engine_id))


class UnknownPolicy(LookupError):
    """No policy is registered under the name asked for."""


def load_policy(name: str) -> Policy:
    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if name not in found:
        known = ", ".join(sorted(found)) or "none installed"
        raise UnknownPolicy(f"no scheduler policy named {name!r} (known: {known}): pass --scheme with one of those")
    return found[name].load()()
