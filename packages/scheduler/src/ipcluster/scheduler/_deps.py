"""What the task scheduler remembers of finished tasks, and what it decides from that.

A dependency (``after`` or ``follow``) names tasks of this scheduler. It is
met, may still be met (wait), or can never be met (the task fails with
ImpossibleDependency). Outcomes are remembered for the last `MEMORY` tasks,
so the scheduler's memory does not grow with the number of tasks run.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from dataclasses import dataclass

from ipcluster.protocol import header_pb2

MEMORY = 65536


class Verdict(enum.Enum):
    MET = "met"
    WAIT = "wait"
    IMPOSSIBLE = "impossible"


@dataclass(slots=True, frozen=True)
class Outcome:
    success: bool
    engine_uuid: bytes


class History:
    def __init__(self, size: int = MEMORY):
        self.size = size
        self.unfinished: set[str] = set()
        self._outcomes: OrderedDict[str, Outcome] = OrderedDict()

    def submitted(self, msg_id: str) -> None:
        self.unfinished.add(msg_id)

    def finished(self, msg_id: str, success: bool, engine_uuid: bytes) -> None:
        self.unfinished.discard(msg_id)
        self._outcomes[msg_id] = Outcome(success, engine_uuid)
        if len(self._outcomes) > self.size:
            self._outcomes.popitem(last=False)

    def unknown(self, dependency: header_pb2.Dependency) -> list[str]:
        """msg_ids this scheduler never ran, or ran too long ago to remember."""
        return [m for m in dependency.msg_ids if m not in self.unfinished and m not in self._outcomes]

    def _qualifies(self, outcome: Outcome, dependency: header_pb2.Dependency) -> bool:
        return dependency.success if outcome.success else dependency.failure

    def check(self, dependency: header_pb2.Dependency) -> Verdict:
        wanted = set(dependency.msg_ids)
        if not wanted:
            return Verdict.MET
        outcomes = [self._outcomes.get(msg_id) for msg_id in wanted]
        qualifying = sum(1 for o in outcomes if o is not None and self._qualifies(o, dependency))
        waiting = sum(1 for o in outcomes if o is None)
        if dependency.all:
            if qualifying == len(wanted):
                return Verdict.MET
            return Verdict.WAIT if qualifying + waiting == len(wanted) else Verdict.IMPOSSIBLE
        if qualifying:
            return Verdict.MET
        return Verdict.WAIT if waiting else Verdict.IMPOSSIBLE

    def engines(self, dependency: header_pb2.Dependency) -> set[bytes]:
        """The engines a met location dependency allows: the one that ran all of them, or any that ran one."""
        ran = [o.engine_uuid for m in set(dependency.msg_ids)
               if (o := self._outcomes.get(m)) is not None and self._qualifies(o, dependency)]
        if dependency.all:
            return set(ran) if len(set(ran)) == 1 else set()
        return set(ran)
