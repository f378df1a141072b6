"""The load-balanced task queue: a client sends work to no engine in
particular, a policy picks one with room for it.

An engine has room while it holds fewer than ``hwm`` unanswered tasks
(``hwm=0``: no limit). Tasks wait here, in arrival order, while none has room.
A task may ask for more (`TaskOptions` in its header): to wait for other tasks
(``after``), to run where others ran (``follow``), only on some engines
(``targets``), to give up waiting after ``timeout`` seconds, and to be re-run
elsewhere ``retries`` times when it fails. When an engine dies, every task it
held is re-run or fails with an ``EngineError`` reply that the scheduler
writes itself, so no client waits for an answer that will never come.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import zmq

from ipcluster.protocol import Message, Session, header_pb2, send_frames, work_pb2
from ipcluster.scheduler._deps import History, Verdict
from ipcluster.scheduler._task_state import EngineSlot, Task, describe, permitted, reply_error, why_not
from ipcluster.scheduler.policies import Policy

MT = header_pb2.MsgType
# looked up once: protobuf enum attributes cost a dictionary walk at every use
SUBMITTED, ASSIGNED, FINISHED = work_pb2.TaskEvent.SUBMITTED, work_pb2.TaskEvent.ASSIGNED, work_pb2.TaskEvent.FINISHED
EXECUTE_REQUEST, EXECUTE_REPLY, APPLY_REPLY, CONTROL_REQUEST = (MT.EXECUTE_REQUEST, MT.EXECUTE_REPLY, MT.APPLY_REPLY,
                                                                MT.CONTROL_REQUEST)
# (kind, request or reply header frame, client id, engine uuid, payload: content and buffer frames)
EventSink = Callable[[int, bytes, bytes, bytes, list], None]
# (engine uuid, msg_ids): ask an engine to abort tasks it holds
AbortOnEngine = Callable[[bytes, list[str]], None]


class TaskScheduler:
    def __init__(self, client_side: zmq.Socket, engine_side: zmq.Socket, session: Session, policy: Policy, hwm: int,
                 events: EventSink, log, call_later: Callable[[float, Callable[[], None]], None],
                 abort_on_engine: AbortOnEngine):
        self.client_side = client_side
        self.engine_side = engine_side
        self.session = session
        self.policy = policy
        self.hwm = hwm
        self.events = events
        self.log = log
        self.call_later = call_later
        self.abort_on_engine = abort_on_engine
        self.queue: deque[Task] = deque()
        self.blocked: dict[str, list[Task]] = {}  # an unfinished task's msg_id -> tasks waiting for it
        self.history = History()
        self.expiring: dict[str, Task] = {}  # tasks with a timeout, by msg_id: the timer holds no payload
        self._released: deque[str] = deque()  # finished msg_ids whose dependents are still to be looked at
        self._assigning = False
        self._assign_again = False
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
        with self._one_assign():
            for task in slot.outstanding.values():
                if task.aborted:
                    self._fail(task, "TaskAborted", f"task {task.msg_id} was aborted, and its engine died", slot)
                elif not self._retry(task, slot.uuid):
                    self._fail(task, "EngineError",
                               f"engine {slot.engine_id} died while running task {task.msg_id}", slot)

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
        if msg.header.msg_type == CONTROL_REQUEST:
            self._abort_request(client_id, msg)
            return
        header_index = len(msg.idents) + 2
        header_frame = frames[header_index].bytes
        reply_type = EXECUTE_REPLY if msg.header.msg_type == EXECUTE_REQUEST else APPLY_REPLY
        task = Task(msg.header.msg_id, client_id, frames[1:], header_frame, reply_type)
        self.history.submitted(task.msg_id)
        self.events(SUBMITTED, header_frame, client_id, b"", frames[header_index + 1 :])
        if msg.header.HasField("task"):
            task.options = msg.header.task
            task.retries_left = task.options.retries
            if task.options.timeout > 0:
                self.expiring[task.msg_id] = task
                self.call_later(task.options.timeout, lambda: self._expire(task.msg_id))
        self._admit(task)

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
        slot = self.slots.get(uuid)
        task = slot.outstanding.pop(msg.header.parent_id, None) if slot is not None else None
        if slot is None or task is None:  # its engine was given up on: the task was answered or re-run already
            self.log.info("dropped a late reply", msg_id=msg.header.parent_id)
            return
        if msg.header.status == header_pb2.ERROR and self._retry(task, uuid, msg):
            self._assign()
            return
        slot.completed += 1
        header_index = len(msg.idents) + 2
        send_frames(self.client_side, frames[1:])
        self.events(FINISHED, frames[header_index].bytes, frames[1].bytes, uuid,
                    frames[header_index + 1 :])
        self._finished(msg.header.parent_id, msg.header.status == header_pb2.OK, uuid)  # assigns the next tasks

    # -- admission: dependencies

    def _admit(self, task: Task, assign: bool = True) -> None:
        """Queue a task whose time dependencies are met, park one that must wait, fail one that cannot run."""
        if task.done:
            return
        options = task.options
        if options is not None:
            for name, dependency in (("after", options.after), ("follow", options.follow)):
                unknown = self.history.unknown(dependency)
                if unknown or task.msg_id in dependency.msg_ids:
                    self._fail(task, "InvalidDependency", f"{name} names tasks this scheduler does not know: "
                               f"{', '.join(unknown or [task.msg_id])} (only load-balanced tasks of this "
                               "controller, and not the task itself)")
                    return
                verdict = self.history.check(dependency)
                if verdict is Verdict.IMPOSSIBLE:
                    self._fail(task, "ImpossibleDependency", f"its {name} dependency can no longer be met: "
                               f"{describe(dependency)}")
                    return
                if verdict is Verdict.WAIT:
                    waiting_on = next(m for m in dependency.msg_ids if m in self.history.unfinished)
                    self.blocked.setdefault(waiting_on, []).append(task)
                    return
        self.queue.append(task)
        if assign:
            self._assign()

    def _finished(self, msg_id: str, success: bool, engine_uuid: bytes) -> None:
        """Record an outcome and look again at the tasks that waited for it; a task failed on the way may
        release others in turn, so this is a work list, not a recursion (a chain may be long)."""
        self.history.finished(msg_id, success, engine_uuid)
        self.expiring.pop(msg_id, None)
        self._released.append(msg_id)
        if len(self._released) > 1:
            return  # an outer call is working through the list
        while self._released:
            for task in self.blocked.pop(self._released[0], ()):
                self._admit(task, assign=False)
            self._released.popleft()
        self._assign()

    def _expire(self, msg_id: str) -> None:
        task = self.expiring.pop(msg_id, None)
        if task is None or task.done or self._holder(task) is not None:
            return  # answered, or running: `timeout` bounds the wait for an engine, not the run (see time_limit)
        self._fail(task, "TaskTimeout", f"task {task.msg_id} waited longer than its timeout of "
                   f"{task.options.timeout if task.options else 0:g} s for its dependencies and an engine")

    # -- placement

    def _assign(self) -> None:
        """Hand queued tasks to engines with room. Failing a task on the way can ask for another pass;
        that pass runs after this one, never inside it."""
        if self._assigning:
            self._assign_again = True
            return
        self._assigning = True
        try:
            self._assign_again = True
            while self._assign_again:
                self._assign_again = False
                self._assign_pass()
        finally:
            self._assigning = False

    @contextmanager
    def _one_assign(self) -> Iterator[None]:
        """The _assign calls made inside the block (one per task failed in a loop) become one pass at its end."""
        if self._assigning:  # an outer pass repeats anyway
            yield
            return
        self._assigning = True
        try:
            yield
        finally:
            self._assigning = False
        self._assign()

    def _assign_pass(self) -> None:
        skipped: list[Task] = []
        while self.queue and any(not self.hwm or len(slot.outstanding) < self.hwm for slot in self.slots.values()):
            task = self.queue.popleft()
            if task.done:
                continue
            slot = self._place(task)
            if slot is None:
                if task.done:
                    continue
                skipped.append(task)
                if task.placed_freely:  # no engine has room for anyone
                    break
                continue
            slot.outstanding[task.msg_id] = task
            self._assignments += 1
            slot.last_assigned = self._assignments
            send_frames(self.engine_side, [slot.uuid, task.client_id, *task.frames])
            self.events(ASSIGNED, task.header, task.client_id, slot.uuid, [])
        self.queue.extendleft(reversed(skipped))

    def _place(self, task: Task) -> EngineSlot | None:
        """An engine for the task now, or None: none has room (it waits), or none ever could (it fails)."""
        allowed: Sequence[EngineSlot] = list(self.slots.values())
        if not task.placed_freely:
            allowed = self._allowed(task, allowed)
            if not allowed:
                return None
        room = [slot for slot in allowed if not self.hwm or len(slot.outstanding) < self.hwm]
        return self.policy.choose(room) if room else None

    def _allowed(self, task: Task, slots: Sequence[EngineSlot]) -> list[EngineSlot]:
        """The registered engines the task may run on; when there are none, it fails ImpossibleDependency."""
        allowed = permitted(task, self.history, slots)
        if not allowed and self.slots:
            self._fail(task, "ImpossibleDependency", f"task {task.msg_id} cannot run: {why_not(task)}")
        return allowed

    # -- failures, retries and aborts

    def _retry(self, task: Task, engine_uuid: bytes, reply: Message | None = None) -> bool:
        """Queue a failed task again, for another engine; False when it is not to be re-run.

        An engine that could not run it (UnmetDependency) is never tried again and
        costs no retry; after an ordinary failure another engine is preferred, but
        with none left the same one runs it again.
        """
        ename, evalue = reply_error(reply) if reply is not None else ("EngineError", "its engine died")
        task.last_error = f"{ename}: {evalue}"
        if ename == "TaskAborted" or task.aborted:
            return False
        if ename != "UnmetDependency":
            if task.retries_left <= 0:
                return False
            task.retries_left -= 1
        others = [slot for slot in permitted(task, self.history, self.slots.values()) if slot.uuid != engine_uuid]
        if ename in ("UnmetDependency", "EngineError") or others:
            task.tried.add(engine_uuid)
        self.log.info("task queued again", msg_id=task.msg_id, reason=ename, retries_left=task.retries_left)
        self.queue.appendleft(task)
        return True

    def _holder(self, task: Task) -> EngineSlot | None:
        return next((slot for slot in self.slots.values() if task.msg_id in slot.outstanding), None)

    def _abort_request(self, client_id: bytes, msg: Message) -> None:
        """Abort queued tasks here; ask the engines holding the others to abort them."""
        try:
            msg_ids = set(msg.content(work_pb2.ControlRequest).msg_ids)
        except ValueError as exc:
            self.log.warning("dropped abort request", reason=str(exc))
            return
        waiting = [*self.queue, *(task for tasks in self.blocked.values() for task in tasks)]
        with self._one_assign():
            for task in waiting:
                if task.msg_id in msg_ids and not task.done:
                    self._fail(task, "TaskAborted", f"task {task.msg_id} was aborted before it ran")
        for slot in self.slots.values():
            held = [task for msg_id, task in slot.outstanding.items() if msg_id in msg_ids]
            for task in held:
                task.aborted = True
            if held:
                self.abort_on_engine(slot.uuid, [task.msg_id for task in held])
        header = self.session.header(MT.CONTROL_REPLY, parent_id=msg.header.msg_id, status=header_pb2.OK)
        send_frames(self.client_side, [client_id, *self.session.frames(header, work_pb2.ControlReply())])

    def _fail(self, task: Task, ename: str, reason: str, slot: EngineSlot | None = None) -> None:
        """Answer a task with an error the scheduler writes itself."""
        task.done = True
        engine_id = slot.engine_id if slot is not None else -1
        error = work_pb2.RemoteErrorInfo(ename=ename, evalue=reason, engine_id=engine_id)
        header = self.session.header(task.reply_type, parent_id=task.msg_id, engine_id=engine_id,  # type: ignore[arg-type]
                                     status=header_pb2.ERROR)
        reply = work_pb2.TaskReply(error=error, engine_id=engine_id, engine_died=ename == "EngineError")
        if slot is not None:
            reply.engine_uuid = slot.uuid.decode()
        frames = self.session.frames(header, reply)
        send_frames(self.client_side, [task.client_id, *frames])
        engine_uuid = slot.uuid if slot is not None else b""
        self.events(FINISHED, frames[2], task.client_id, engine_uuid, frames[3:])
        self.log.warning("task failed", msg_id=task.msg_id, error=ename, reason=reason)
        self._finished(task.msg_id, False, engine_uuid)
