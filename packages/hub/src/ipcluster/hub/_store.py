"""The in-memory task record store, bounded so a long-running hub stays small."""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from dataclasses import dataclass

from ipcluster.protocol.pb.header_pb2 import ReplyStatus


@dataclass(slots=True)
class TaskRecord:
    msg_id: str
    client_id: bytes
    engine_uuid: str
    queue: int
    submitted: float
    completed: float | None = None
    status: int = 0


class TaskStore:
    """Records of submitted and finished tasks, oldest finished evicted first.

    Pending records are never evicted: they are what queue_status counts. A
    load-balanced task waits under the engine uuid "" until it is assigned.
    """

    def __init__(self, max_records: int = 10000):
        self.max_records = max_records
        self._records: OrderedDict[str, TaskRecord] = OrderedDict()
        self._finished: OrderedDict[str, None] = OrderedDict()
        self.pending_by_engine: defaultdict[str, int] = defaultdict(int)
        self.completed_by_engine: defaultdict[str, int] = defaultdict(int)

    def __len__(self) -> int:
        return len(self._records)

    def get(self, msg_id: str) -> TaskRecord | None:
        return self._records.get(msg_id)

    def submitted(self, record: TaskRecord) -> None:
        self._records[record.msg_id] = record
        self.pending_by_engine[record.engine_uuid] += 1
        self._evict()

    def assigned(self, msg_id: str, engine_uuid: str) -> None:
        record = self._records.get(msg_id)
        if record is not None and record.completed is None:
            self._move(record, engine_uuid)

    def finished(self, msg_id: str, engine_uuid: str, completed: float, status: int) -> None:
        record = self._records.get(msg_id)
        if record is None or record.completed is not None:
            return
        self._move(record, engine_uuid)
        record.completed = completed
        record.status = status
        self.pending_by_engine[engine_uuid] -= 1
        self.completed_by_engine[engine_uuid] += 1
        self._finished[msg_id] = None
        self._evict()

    def _move(self, record: TaskRecord, engine_uuid: str) -> None:
        if record.engine_uuid != engine_uuid:
            self.pending_by_engine[record.engine_uuid] -= 1
            self.pending_by_engine[engine_uuid] += 1
            record.engine_uuid = engine_uuid

    def forget_engine(self, engine_uuid: str, when: float) -> None:
        """An engine left: its unfinished tasks are recorded as failed (and so can be evicted),
        and its counters are dropped."""
        unfinished = [r for r in self._records.values() if r.engine_uuid == engine_uuid and r.completed is None]
        for record in unfinished:
            self.finished(record.msg_id, engine_uuid, when, ReplyStatus.ERROR)
        self.pending_by_engine.pop(engine_uuid, None)
        self.completed_by_engine.pop(engine_uuid, None)

    def _evict(self) -> None:
        while len(self._records) > self.max_records and self._finished:
            msg_id, _ = self._finished.popitem(last=False)
            self._records.pop(msg_id, None)
