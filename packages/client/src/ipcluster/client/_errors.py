"""The errors a client raises, with ipyparallel's names."""

from __future__ import annotations

from collections.abc import Sequence


class IPClusterError(Exception):
    """Base of every ipcluster client error."""


class HubError(IPClusterError, RuntimeError):
    """The hub refused a request; the message says why."""


class NoEnginesRegistered(IPClusterError):
    """There is no engine to send the work to."""


class SerializationError(IPClusterError, TypeError):
    """A function or argument cannot be pickled; raised before anything is sent."""


class KernelError(IPClusterError):
    """Something went wrong on (or with) an engine."""


class RemoteError(KernelError):
    """An exception raised by user code on an engine, with its remote traceback."""

    def __init__(self, ename: str, evalue: str, traceback: Sequence[str] = (), engine_info: dict | None = None):
        super().__init__(ename, evalue)
        self.ename = ename
        self.evalue = evalue
        self.traceback = "".join(traceback)
        self.engine_info = engine_info or {}

    def __str__(self) -> str:
        engine = self.engine_info.get("engine_id")
        where = f"[engine {engine}] " if engine is not None and engine >= 0 else ""
        return f"{where}{self.ename}: {self.evalue}"

    def render_traceback(self) -> str:
        return self.traceback or f"{self.ename}: {self.evalue}"

    def print_traceback(self) -> None:
        print(self.render_traceback())


class EngineError(KernelError):
    """The engine running a task died or left before answering."""


class CompositeError(RemoteError):
    """Several engines raised; each error is in `.elist`."""

    shown = 10  # errors listed by str(); a map of 10,000 failing tasks should not print 10,000 lines

    def __init__(self, message: str, errors: Sequence[BaseException]):
        self.elist = list(errors)
        self.message = message
        super().__init__("CompositeError", message)

    def __str__(self) -> str:
        lines = [f"{self.message}: {len(self.elist)} error(s)"]
        lines.extend(f"  {error}" for error in self.elist[: self.shown])
        if len(self.elist) > self.shown:
            lines.append(f"  ... and {len(self.elist) - self.shown} more, all in .elist")
        return "\n".join(lines)

    def raise_exception(self, excid: int = 0) -> None:
        """Raise the `excid`'th engine error on its own."""
        raise self.elist[excid]

    def print_traceback(self, excid: int | None = None) -> None:
        """Print the remote traceback of error `excid`, or of every error."""
        for error in self.elist if excid is None else [self.elist[excid]]:
            print(error.render_traceback() if isinstance(error, RemoteError) else repr(error))


class TaskAborted(KernelError):
    """The task was aborted before it ran, or interrupted by its abort."""


class TaskTimeout(KernelError):
    """The task waited longer than its `timeout` for an engine, or ran longer than its `time_limit`."""


class UnmetDependency(KernelError):
    """An engine could not run the task (its `@depend` condition was false, or a `@require` import failed)."""


class ImpossibleDependency(UnmetDependency):
    """The task's dependencies can never be met: it will not run."""


class InvalidDependency(ImpossibleDependency):
    """The task depends on tasks the scheduler does not know."""


# errors the controller writes itself (or the engine raises by these names): their client-side classes
SCHEDULER_ERRORS: dict[str, type[KernelError]] = {
    cls.__name__: cls
    for cls in (EngineError, TaskAborted, TaskTimeout, UnmetDependency, ImpossibleDependency, InvalidDependency)
}


def error_from_reply(ename: str, evalue: str, traceback: Sequence[str], engine_id: int) -> KernelError:
    """The client-side exception for an error reply."""
    if ename in SCHEDULER_ERRORS:
        return SCHEDULER_ERRORS[ename](evalue)
    return RemoteError(ename, evalue, traceback, {"engine_id": engine_id})
