"""What the task scheduler keeps per task and per engine."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ipcluster.protocol import Message, header_pb2, work_pb2
from ipcluster.scheduler._deps import History

MT = header_pb2.MsgType


@dataclass(slots=True, eq=False)
class Task:
    msg_id: str
    client_id: bytes
    frames: list  # from the delimiter on, forwarded untouched
    header: bytes
    reply_type: int = MT.APPLY_REPLY  # what an answer the scheduler writes itself is
    options: header_pb2.TaskOptions | None = None
    retries_left: int = 0
    tried: set[bytes] = field(default_factory=set)  # engines that failed it, or could not run it
    done: bool = False  # answered while still queued (aborted, timed out): skipped when reached
    aborted: bool = False  # a client aborted it while an engine held it: never re-run
    last_error: str = ""  # why the last engine could not run it, for the ImpossibleDependency that may follow

    @property
    def placed_freely(self) -> bool:
        """Any engine with room will do: the common case, served in plain arrival order."""
        options = self.options
        return not self.tried and (options is None or not (options.targets or options.follow.msg_ids))


@dataclass(slots=True, eq=False)
class EngineSlot:
    uuid: bytes
    engine_id: int
    outstanding: dict[str, Task] = field(default_factory=dict)
    completed: int = 0
    last_assigned: int = 0  # the scheduler's assignment count when this engine last got a task


def describe(dependency: header_pb2.Dependency) -> str:
    which = "all" if dependency.all else "any"
    met_by = " or ".join(kind for kind, wanted in (("success", dependency.success), ("failure", dependency.failure))
                         if wanted) or "nothing"
    return f"{which} of {', '.join(dependency.msg_ids)}, met by {met_by}"


def permitted(task: Task, history: History, slots: Iterable[EngineSlot]) -> list[EngineSlot]:
    """The engines among `slots` that the task's targets, follow dependency and past attempts allow."""
    options = task.options
    allowed = [slot for slot in slots if slot.uuid not in task.tried]
    if options is not None and options.targets:
        allowed = [slot for slot in allowed if slot.engine_id in options.targets]
    if options is not None and options.follow.msg_ids:
        engines = history.engines(options.follow)
        allowed = [slot for slot in allowed if slot.uuid in engines]
    return allowed


def why_not(task: Task) -> str:
    """Why no engine is allowed to run `task`, for its ImpossibleDependency."""
    options = task.options
    if options is not None and options.follow.msg_ids:
        return f"the engine its follow dependency ran on is gone or excluded: {describe(options.follow)}"
    if options is not None and options.targets:
        return f"no engine among its targets {list(options.targets)} is registered and untried"
    return f"every engine has failed it, or could not run it{': ' + task.last_error if task.last_error else ''}"


def reply_error(reply: Message) -> tuple[str, str]:
    """(ename, evalue) of an error reply; empty strings when its content does not parse."""
    try:
        error = reply.content(work_pb2.TaskReply).error
    except ValueError:
        return "", ""
    return error.ename, error.evalue
