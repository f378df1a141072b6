"""What every view shares: the client, flags, apply's and map's three forms, waiting and decorators.

`DirectView` (``_directview.py``) runs work on named engines,
`LoadBalancedView` (``_lbview.py``) wherever there is room.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from ipcluster.client._asyncresult import AsyncMapResult, AsyncResult, TaskFuture
from ipcluster.client._decorators import ParallelFunction, RemoteFunction
from ipcluster.client._executor import ViewExecutor
from ipcluster.client._pickling import call_frames, pickled
from ipcluster.client._scatter import check_dist
from ipcluster.protocol import header_pb2, work_pb2

if TYPE_CHECKING:
    from ipcluster.client._client import Client, Jobs

MT = header_pb2.MsgType
# what a view's calls accept as targets: an engine id, a list of ids, a slice of rc.ids, 'all' (None: the view's)
Targets = int | list[int] | slice | str | None


class View(ABC):
    """What both views share: the client, the flags and apply's three forms."""

    channel = ""
    # what set_flags and temp_flags accept; each view adds its own
    flag_names: ClassVar[tuple[str, ...]] = ("block", "time_limit")

    def __init__(self, client: Client, targets: Any):
        self.client = client
        self.targets = targets
        self.block = False
        self.time_limit = 0.0  # seconds a task may run before its engine interrupts it with TaskTimeout
        # what this view sent and is not answered yet, for view.wait(); answered futures drop out
        self._outstanding: set[Future] = set()

    def check_flags(self, names: Iterable[str]) -> None:
        """A ValueError naming any flag this view does not have."""
        unknown = sorted(set(names) - set(self.flag_names))
        if unknown:
            raise ValueError(f"{type(self).__name__} has no flag {', '.join(unknown)}: "
                             f"its flags are {', '.join(self.flag_names)}")

    def set_flags(self, **flags: Any) -> None:
        """Set flags for every later call of this view: ``view.set_flags(block=True)``."""
        self.check_flags(flags)
        for name, value in flags.items():
            setattr(self, name, value)

    @contextmanager
    def temp_flags(self, **flags: Any) -> Iterator[View]:
        """Set flags for the calls inside a ``with`` block only."""
        self.check_flags(flags)  # before anything changes
        saved = {name: getattr(self, name) for name in flags}
        self.set_flags(**flags)
        try:
            yield self
        finally:
            self.set_flags(**saved)

    def apply(self, function: Callable, *args: Any, **kwargs: Any) -> Any:
        """Call ``function(*args, **kwargs)`` remotely: the value when the view blocks, else an AsyncResult."""
        result = self.apply_async(function, *args, **kwargs)
        return result.get() if self.block else result

    def apply_sync(self, function: Callable, *args: Any, **kwargs: Any) -> Any:
        return self.apply_async(function, *args, **kwargs).get()

    def apply_async(self, function: Callable, *args: Any, **kwargs: Any) -> AsyncResult:
        function_buffers, frames = call_frames(function, args, kwargs)
        return self._send_apply(work_pb2.ApplyRequest(function_buffers=function_buffers), frames,
                                label=getattr(function, "__name__", "apply"))

    def map_sync(self, function: Callable, *sequences: Sequence) -> list:
        return self.map_async(function, *sequences).get()

    def map(self, function: Callable, *sequences: Sequence, block: bool | None = None, **flags: Any) -> Any:
        result = self.map_async(function, *sequences, **flags)
        return result.get() if self._blocking(block) else result

    @abstractmethod
    def map_async(self, function: Callable, *sequences: Sequence) -> AsyncMapResult:
        """Each view partitions the sequences its own way."""

    @abstractmethod
    def _send_apply(self, content: work_pb2.ApplyRequest, frames: list, label: str) -> AsyncResult:
        """Send one apply request per target the view stands for."""

    def wait(self, jobs: Jobs | None = None, timeout: float | None = None) -> bool:
        """Wait for `jobs` (default: everything this view sent); True when all are done within `timeout`."""
        return self.client.wait(list(self._outstanding) if jobs is None else jobs, timeout)

    def abort(self, jobs: Jobs | None = None, block: bool | None = None) -> AsyncResult:
        """Abort `jobs` (default: everything this view sent that is not answered yet): tasks not started are
        answered with TaskAborted, and running ones are interrupted."""
        pending = list(self._outstanding) if jobs is None else jobs
        return self.client.abort(pending, block=self._blocking(block))

    def queue_status(self, targets: Targets = None) -> dict:
        """The hub's queue counts for this view's engines (or `targets`), as `Client.queue_status`."""
        scope = self.targets if targets is None else targets
        return self.client.queue_status(None if scope in (None, "all") else self.client.resolve_targets(scope))

    def get_result(self, indices_or_msg_ids: Any, block: bool | None = None) -> AsyncResult:
        """A task's result from the hub's records, as `Client.get_result`."""
        return self.client.get_result(indices_or_msg_ids, block=self._blocking(block))

    def purge_results(self, jobs: Any = None, targets: Targets = None) -> int:
        """Drop finished records from the hub, as `Client.purge_results`; by default those of this view's engines."""
        if jobs is None and targets is None:
            targets = "all" if self.targets is None else self.targets
        if isinstance(targets, slice):
            targets = self.client.resolve_targets(targets)
        return self.client.purge_results(jobs, targets)

    def clear(self, targets: Targets = None, block: bool | None = None) -> AsyncResult:
        """Empty the namespaces of this view's engines (or `targets`)."""
        return self.client.clear(self.targets if targets is None else targets, block=self._blocking(block))

    def shutdown(self, targets: Targets = None, block: bool | None = None) -> AsyncResult:
        """Stop this view's engines (or `targets`)."""
        return self.client.shutdown(self.targets if targets is None else targets, block=self._blocking(block))

    def remote(self, block: bool | None = None) -> Callable[[Callable], RemoteFunction]:
        """Decorator: calling the function runs it through this view, as `apply`."""
        return lambda function: RemoteFunction(self, function, block)

    def parallel(self, dist: str = "b", block: bool | None = None) -> Callable[[Callable], ParallelFunction]:
        """Decorator: calling the function runs it on partitions of its sequence arguments, results joined."""
        check_dist(dist)  # a mistake fails at the decorator line, not at the first call
        return lambda function: ParallelFunction(self, function, block)

    @property
    def executor(self) -> ViewExecutor:
        """A `concurrent.futures.Executor` that submits through this view."""
        return ViewExecutor(self)

    def _blocking(self, block: bool | None) -> bool:
        return self.block if block is None else block

    def _send_map(self, function: Callable, sequences: Sequence[Sequence], bounds: Sequence[int],
                  engine_ids: Sequence[int | None], ordered: bool = True) -> AsyncMapResult:
        """One map chunk per pair of consecutive `bounds`, sent to the matching engine (None: any).

        The function is pickled once for the whole map, and every chunk before
        any is sent: an unpicklable item fails the map with nothing sent.
        """
        name = getattr(function, "__name__", "map")
        wrapped = pickled(function, lambda: f"the function {name}")
        content = work_pb2.ApplyRequest(function_buffers=len(wrapped) - 1, map=True)
        spans = list(zip(engine_ids, bounds, bounds[1:], strict=False))
        chunks = [pickled((tuple(list(sequence[start:stop]) for sequence in sequences), {}),
                          functools.partial("the items of {}'s map from index {}".format, name, start))
                  for _, start, stop in spans]
        children = self._send_each(MT.APPLY_REQUEST, [
            (content, [*wrapped, *chunk], engine_id) for (engine_id, _, _), chunk in zip(spans, chunks, strict=True)])
        return AsyncMapResult(children, ordered=ordered, label=name,
                              lengths=[stop - start for _, start, stop in spans])

    def _partition_targets(self) -> list[int | None]:
        """Where each block of a parallel function goes: here one block per engine, to whichever has room."""
        return [None] * len(self.client.resolve_targets(self.targets))

    def _apply_each(self, function: Callable, calls: Sequence[tuple[tuple, dict]],
                    engine_ids: Sequence[int | None]) -> list[TaskFuture]:
        """``function(*args, **kwargs)`` of each call on the matching engine; all pickled before any is sent."""
        requests = [call_frames(function, args, kwargs) for args, kwargs in calls]
        return self._send_each(MT.APPLY_REQUEST, [
            (work_pb2.ApplyRequest(function_buffers=count), frames, engine_id)
            for (count, frames), engine_id in zip(requests, engine_ids, strict=True)])

    def _task_options(self) -> header_pb2.TaskOptions | None:
        """What the header asks of how each task runs, from the view's flags; None for the plain case."""
        return header_pb2.TaskOptions(time_limit=self.time_limit) if self.time_limit else None

    def _send_each(self, msg_type: MT, requests: Iterable[tuple[Any, list, int | None]]) -> list[TaskFuture]:
        """One request per (content, frames, engine id); the flags' TaskOptions are built once for all."""
        options = self._task_options()
        futures = []
        for content, frames, engine_id in requests:
            header = self.client.session.header(msg_type, engine_id=-1 if engine_id is None else engine_id)
            if options is not None:
                header.task.CopyFrom(options)
            future = self.client.send(self.channel, header, content, frames, engine_id)
            self._outstanding.add(future)
            future.add_done_callback(self._answered)
            futures.append(future)
        return futures

    def _answered(self, future: Future) -> None:
        self._outstanding.discard(future)
