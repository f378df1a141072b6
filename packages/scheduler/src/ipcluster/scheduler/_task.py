"""The load-balanced task queue: a client sends work to no engine in
particular, a policy picks one with room for it.

An engine has room while it holds fewer than ``hwm`` unanswered tasks
(``hwm=0``: no limit). Tasks wait here, in arrival order, while none has room.
When an engine dies, every task it held fails with an ``EngineError`` reply
that the scheduler writes itself, so no client waits for an answer that will
never come.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import zmq

from ipcluster.protocol import (
    Session,
    header_pb2,
    send_frames,
    work_pb2,
)
from ipcluster.scheduler.policies import Policy

MT = header_pb2.MsgType
# (kind, request or reply header frame, client id, engine uuid, payload: content and buffer frames)
EventSink = Callable[[int, bytes, bytes, bytes, list], None]


@dataclass(slots=True)
class Task:
    msg_id: str
    client_id: bytes
    frames: list  # from the delimiter on, forwarded untouched
    header: bytes


@dataclass(slots=True, eq=False)
class EngineSlot:
    uuid: bytes
    engine_id: int
    outstanding: dict[str, Task] = field(default_factory=dict)
    completed: int = 0
    last_assigned: int = 0  # the scheduler's assignment count when this engine last got a task


class TaskScheduler:
    def __init__(
        self,
        client_side: zmq.Socket,
        engine_side: zmq.Socket,
        session: Session,
        policy: Policy,
        hwm: int,
        events: EventSink,
        log,
    ):
        self.client_side = client_side
        self.engine_side = engine_side
        self.session = session
        self.policy = policy
        self.hwm = hwm
        self.events = events
        self.log = log
        self.queue: deque[Task] = deque()
        self.registered: dict[bytes, int] = {}
        self.connected: set[bytes] = set()
        self.slots: dict[bytes, EngineSlot] = {}
        self._assignments = 0

    # -- engines coming and going

    def engine_registered(self, uuid: bytes, engine_id: int) -> None:
        self.registered[uuid] = engine_id
        self._activate(uuid)

    def engine_unregistered(self, uuid: bytes) -> None:
        self.registered.pop(uuid, None)
        self.connected.discard(uuid)
        slot = self.slots.pop(uuid, None)
        if slot is None:
            return
        for task in slot.outstanding.values():
            self._fail(task, slot, f"engine {slot.engine_id} died while running task {task.msg_id}")
        self._assign()

    def _activate(self, uuid: bytes) -> None:
        if uuid in self.registered and uuid in self.connected and uuid not in self.slots:
            self.slots[uuid] = EngineSlot(uuid, self.registered[uuid])
            self._assign()

    # -- messages

    def from_client(self, frames: list[zmq.Frame]) -> None:
        client_id = frames[0].bytes
        try:
            msg = self.session.unpack(frames)
        except ValueError as exc:
            self.log.warning("dropped task", reason=str(exc))
            return
        header_index = len(msg.idents) + 2
        header_frame = frames[header_index].bytes
        task = Task(msg.header.msg_id, client_id, frames[1:], header_frame)
        self.events(work_pb2.TaskEvent.SUBMITTED, header_frame, client_id, b"", frames[header_index + 1 :])
        self.queue.append(task)
        self._assign()

    def from_engine(self, frames: list[zmq.Frame]) -> None:
        try:
            msg = self.session.unpack(frames)
        except ValueError as exc:
            self.log.warning("dropped reply", reason=str(exc))
            return
        uuid = frames[0].bytes
        if not msg.idents[1:]:  # hello: no client to answer
            self.connected.add(uuid)
            self._activate(uuid)
            return
        header_index = len(msg.idents) + 2
        header_frame = frames[header_index].bytes
        parent_id = msg.header.parent_id
        slot = self.slots.get(uuid)
        if slot is not None and slot.outstanding.pop(parent_id, None) is not None:
            slot.completed += 1
        send_frames(self.client_side, frames[1:])
        self.events(work_pb2.TaskEvent.FINISHED, header_frame, frames[1].bytes, uuid, frames[header_index + 1 :])
        self._assign()

    def _assign(self) -> None:
        while self.queue:
            candidates = [s for s in self.slots.values() if not self.hwm or len(s.outstanding) < self.hwm]
            if not candidates:
                return
            slot = self.policy.choose(candidates)
            task = self.queue.popleft()
            slot.outstanding[task.msg_id] = task
            self._assignments += 1
            slot.last_assigned = self._assignments
            send_frames(self.engine_side, [slot.uuid, task.client_id, *task.frames])
            self.events(work_pb2.TaskEvent.ASSIGNED, task.header, task.client_id, slot.uuid, [])

    def _fail(self, task: Task, slot: EngineSlot, reason: str) -> None:
        error = work_pb2.RemoteErrorInfo(ename="EngineError", evalue=reason, engine_id=slot.engine_id)
        header = self.session.header(
            MT.APPLY_REPLY, parent_id=task.msg_id, engine_id=slot.engine_id, status=header_pb2.ERROR
        )
        reply = work_pb2.TaskReply(
            error=error, engine_id=slot.engine_id, engine_uuid=slot.uuid.decode(), engine_died=True
        )
        frames = self.session.frames(header, reply)
        send_frames(self.client_side, [task.client_id, *frames])
        self.events(work_pb2.TaskEvent.FINISHED, frames[2], task.client_id, slot.uuid, frames[3:])
        self.log.warning("task failed: engine died", msg_id=task.msg_id, engine_id=slot.engine_id)
