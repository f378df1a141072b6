"""`LoadBalancedView`: each task goes wherever the scheduler's policy finds room.

Its flags (``set_flags``, ``temp_flags``, or keyword arguments of
``apply``/``map``) travel in each task's header as `TaskOptions`:
``retries``, ``timeout``, ``after``, ``follow``, ``targets``, ``time_limit``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ipcluster.client._asyncresult import AsyncMapResult, AsyncResult
from ipcluster.client._dependency import as_dependency
from ipcluster.client._imap import bounded_imap
from ipcluster.client._view import MT, View
from ipcluster.protocol import header_pb2, work_pb2

if TYPE_CHECKING:
    from ipcluster.client._client import Client


class LoadBalancedView(View):
    """Each task goes to whichever engine the scheduler's policy picks, within what its flags allow."""

    channel = "task"
    flag_names = ("block", "retries", "timeout", "after", "follow", "targets", "time_limit")

    def __init__(self, client: Client, targets: Any = None):
        super().__init__(client, targets)
        self.retries = 0  # re-runs of a failed task, on other engines when there are
        self.timeout = 0.0  # seconds a task may wait for its dependencies and an engine
        self.after: Any = None  # tasks (msg_ids, AsyncResults, a Dependency) that must finish first
        self.follow: Any = None  # tasks on whose engine this one must run

    def __repr__(self) -> str:
        return "<LoadBalancedView>" if self.targets is None else f"<LoadBalancedView targets={self.targets}>"

    def _task_options(self) -> header_pb2.TaskOptions | None:
        if not (self.retries or self.timeout or self.time_limit or self.after or self.follow
                or self.targets not in (None, "all")):
            return None  # the common case, once per task: no message to build
        targets = [] if self.targets in (None, "all") else self.client.resolve_targets(self.targets)
        options = header_pb2.TaskOptions(retries=self.retries, timeout=self.timeout or 0.0, targets=targets,
                                         time_limit=self.time_limit or 0.0)
        for name in ("after", "follow"):
            dependency = as_dependency(getattr(self, name))
            if dependency is not None:
                getattr(options, name).CopyFrom(dependency)
        return options if options.ByteSize() else None

    def _send_apply(self, content: work_pb2.ApplyRequest, frames: list, label: str) -> AsyncResult:
        return AsyncResult(self._send_each(MT.APPLY_REQUEST, [(content, frames, None)]), single=True, label=label)

    def map_async(self, function: Callable, *sequences: Sequence, chunksize: int = 1, ordered: bool = True,
                  **flags: Any) -> AsyncMapResult:
        """One task per `chunksize` items. Results come in submission order, or as they finish with
        ``ordered=False`` (when iterating). Other keywords are flags for this map only."""
        if chunksize < 1:
            raise ValueError(f"chunksize={chunksize}: give at least 1")
        with self.temp_flags(**flags):
            length = min(len(sequence) for sequence in sequences)
            bounds = [*range(0, length, chunksize), length]
            return self._send_map(function, sequences, bounds, [None] * (len(bounds) - 1), ordered=ordered)

    def imap(self, function: Callable, *iterables: Iterable, chunksize: int = 1, ordered: bool = True,
             max_outstanding: int | str = "auto", **flags: Any) -> Iterator[Any]:
        """Results one by one, as `map` would return them, drawing items from `iterables` (generators too)
        only as earlier chunks finish; at most `max_outstanding` chunks ('auto': two per engine) in flight."""
        if chunksize < 1:
            raise ValueError(f"chunksize={chunksize}: give at least 1")
        if max_outstanding == "auto":
            max_outstanding = 2 * len(self.client.resolve_targets(self.targets))
        if not isinstance(max_outstanding, int) or max_outstanding < 1:
            raise ValueError(f"max_outstanding={max_outstanding!r}: give a positive int or 'auto'")
        self.check_flags(flags)  # now, not at the first result
        return bounded_imap(self, function, iterables, chunksize, ordered, max_outstanding, flags)
