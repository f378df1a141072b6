"""Who holds each unfinished task, and how many each engine finished: what queue_status reports.

Kept apart from the record store, so it works with every store, NoDB
included, and stays as small as the number of tasks in flight.
"""

from __future__ import annotations

from collections import defaultdict

UNASSIGNED = ""  # the engine uuid of a load-balanced task still waiting in the scheduler


class QueueCounts:
    def __init__(self) -> None:
        self._holder: dict[str, str] = {}  # msg_id of an unfinished task -> engine uuid
        self.pending_by_engine: defaultdict[str, int] = defaultdict(int)
        self.completed_by_engine: defaultdict[str, int] = defaultdict(int)

    def __len__(self) -> int:
        return len(self._holder)

    def submitted(self, msg_id: str, engine_uuid: str) -> None:
        if msg_id not in self._holder:
            self._holder[msg_id] = engine_uuid
            self.pending_by_engine[engine_uuid] += 1

    def assigned(self, msg_id: str, engine_uuid: str) -> None:
        old = self._holder.get(msg_id)
        if old is not None and old != engine_uuid:
            self.pending_by_engine[old] -= 1
            self.pending_by_engine[engine_uuid] += 1
            self._holder[msg_id] = engine_uuid

    def finished(self, msg_id: str, engine_uuid: str) -> bool:
        """Count a finished task; False when it was not pending (already finished, or never seen)."""
        holder = self._holder.pop(msg_id, None)
        if holder is None:
            return False
        self.pending_by_engine[holder] -= 1
        self.completed_by_engine[engine_uuid] += 1
        return True

    def forget_engine(self, engine_uuid: str) -> list[str]:
        """An engine left: drop its counters; returns the msg_ids it still held, now finished as failed."""
        held = [msg_id for msg_id, holder in self._holder.items() if holder == engine_uuid]
        for msg_id in held:
            del self._holder[msg_id]
        self.pending_by_engine.pop(engine_uuid, None)
        self.completed_by_engine.pop(engine_uuid, None)
        return held
