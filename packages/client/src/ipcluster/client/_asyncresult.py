"""Results that arrive later: one `TaskFuture` per message, gathered by an `AsyncResult`.

An `AsyncResult` is itself a `concurrent.futures.Future`, resolved once every
message it stands for is answered, so ``concurrent.futures.wait``,
``as_completed`` and ``await`` work on it as on any future.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
import time
from collections.abc import Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, as_completed
from concurrent.futures import wait as wait_futures
from datetime import UTC, datetime
from typing import Any

from ipcluster.client._errors import CompositeError
from ipcluster.client._resultinfo import ResultInfo


def moment(seconds: float | None) -> datetime | None:
    """An engine's epoch seconds as the UTC datetime metadata holds (ipyparallel's type); 0 or None: unknown."""
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


class TaskFuture(Future):
    """The future of one request to one engine, with what the engine reported about it."""

    def __init__(self, msg_id: str, engine_uuid: str = ""):
        super().__init__()
        self.msg_id = msg_id
        self.engine_uuid = engine_uuid
        self.client: Any = None  # the Client that sent it, for abort()
        self.metadata: dict[str, Any] = {
            "msg_id": msg_id,
            "engine_id": None,
            "submitted": datetime.now(UTC),
            "started": None,
            "completed": None,
            "received": None,
            "stdout": "",
            "stderr": "",
            "status": "pending",
        }


class AsyncResult(ResultInfo, Future):
    """The result of work sent to one or more engines.

    `get` returns one value when one message was sent to a single engine or
    the load balancer, and a list otherwise, as in ipyparallel.
    """

    def __init__(self, children: Sequence[TaskFuture], *, single: bool = False, label: str = ""):
        Future.__init__(self)
        self._children = list(children)
        self._single = single
        self.label = label
        # children resolve on the I/O thread, or on a user's thread when the client closes: count under a lock
        self._count_lock = threading.Lock()
        self._unanswered = len(self._children)
        if not self._children:
            self._settle()
        for child in self._children:
            child.add_done_callback(self._child_done)

    def _child_done(self, _child: Future) -> None:
        with self._count_lock:
            self._unanswered -= 1
            last = self._unanswered == 0
        if last:
            self._settle()

    def _settle(self) -> None:
        """Resolve this future from the children, which are all answered."""
        try:
            value = self._collect()
        except BaseException as error:  # the remote error, or a CompositeError of several
            Future.set_exception(self, error)
        else:
            Future.set_result(self, value)

    @property
    def msg_ids(self) -> list[str]:
        return [child.msg_id for child in self._children]

    def __len__(self) -> int:
        return len(self._children)

    def cancel(self) -> bool:
        """Work already sent cannot be taken back by the future: always False (see `abort`)."""
        return False

    def abort(self) -> None:
        """Abort what is not answered yet: tasks not started are answered with TaskAborted, running ones
        are interrupted with it. Waits until the scheduler and engines have the request."""
        clients = {id(child.client): child.client for child in self._children if child.client is not None}
        for client in clients.values():
            client.abort(self.msg_ids, block=True)

    def ready(self) -> bool:
        """True once every message is answered (and this future resolved)."""
        return self.done()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every message is answered or `timeout` passes; True when all are."""
        if not self.done():
            wait_futures([self], timeout)
        return self.done()

    def successful(self) -> bool:
        if not self.ready():
            raise AssertionError("the result is not ready yet: call wait() or get() first")
        return self.exception() is None

    def get(self, timeout: float | None = None) -> Any:
        """The result, raising the remote error as soon as one engine reports it.

        Raises TimeoutError when it is not ready within `timeout` seconds.
        """
        if not self.done():
            finished, pending = wait_futures(self._children, timeout, return_when=FIRST_EXCEPTION)
            if pending:
                if any(child.exception() is not None for child in finished):
                    return self._collect()  # raises the errors known so far
                raise TimeoutError(f"{len(pending)} of {len(self._children)} results not ready after {timeout} s")
        return Future.result(self)  # the last child's callback may still be running: wait for it

    def result(self, timeout: float | None = None) -> Any:
        return self.get(timeout)

    @property
    def r(self) -> Any:
        """The result, waiting as long as it takes (ipyparallel's shorthand)."""
        return self.get()

    def _collect(self) -> Any:
        errors = [error for child in self._children if child.done() and (error := child.exception()) is not None]
        if errors:
            if self._single or (len(errors) == 1 and len(self._children) == 1):
                raise errors[0]
            raise CompositeError("one or more exceptions raised on engines", errors)
        values = [child.result() for child in self._children]
        return values[0] if self._single else self._join(values)

    def _join(self, values: list[Any]) -> Any:
        return values

    def get_dict(self, timeout: float | None = None) -> dict[int, Any]:
        """``{engine_id: result}``; ValueError when one engine gave several results."""
        values = self.get(timeout)
        values = [values] if self._single else values
        ids = [child.metadata["engine_id"] for child in self._children]
        if len(set(ids)) != len(ids):
            raise ValueError("several results came from one engine; get_dict needs one result per engine")
        return dict(zip(ids, values, strict=True))

    def __await__(self) -> Generator[Any, None, Any]:
        """``await ar`` in asyncio: the loop keeps running while the engines work."""
        return asyncio.wrap_future(self).__await__()

    def __iter__(self) -> Iterator[Any]:
        """Each message's result, in order, as soon as it is there."""
        yield from self._iterate(None)

    def _iterate(self, deadline: float | None) -> Iterator[Any]:
        for child in self._children:
            yield child.result(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def __getitem__(self, key: int | slice | str) -> Any:
        """``ar[i]``, ``ar[i:j]``: results (once ready); ``ar['completed']``: metadata, at any time."""
        if isinstance(key, str):
            return self._meta(key)
        self._require_ready()
        values = self.get()
        return (values if isinstance(values, list) else [values])[key]

    def __repr__(self) -> str:
        state = "finished" if self.ready() else "pending"
        return f"<{type(self).__name__}({self.label or len(self)}): {state}>"


class AsyncMapResult(AsyncResult):
    """The result of a map: each message a chunk of items, the chunks' results joined into one list.

    Iterating yields items in order, or, with ``ordered=False``, each chunk's
    items as soon as that chunk is answered.
    """

    def __init__(self, children: Sequence[TaskFuture], *, ordered: bool = True, label: str = "",
                 lengths: Sequence[int] | None = None):
        self.ordered = ordered
        self._lengths = list(lengths) if lengths is not None else None
        super().__init__(children, label=label)

    def __len__(self) -> int:
        """The number of items mapped (ipyparallel's meaning), or of chunks when the sizes are unknown."""
        return sum(self._lengths) if self._lengths is not None else len(self._children)

    def _join(self, values: list[Any]) -> Any:
        return [item for chunk in values for item in chunk]

    def _iterate(self, deadline: float | None) -> Iterator[Any]:
        if self.ordered:
            for chunk in super()._iterate(deadline):
                yield from chunk
            return
        for child in as_completed(self._children, None if deadline is None else deadline - time.monotonic()):
            yield from child.result()


class AsyncGatherResult(AsyncResult):
    """One partition per engine (a gather, a parallel function), joined back into one sequence.

    Lists are concatenated, numpy arrays too; a partition that is neither (a
    single item scattered with ``flatten=True``) counts as one item.
    """

    def _join(self, values: list[Any]) -> Any:
        if values and all(type(value).__module__ == "numpy" and hasattr(value, "ndim") and value.ndim
                          for value in values):
            # only when the engines sent numpy arrays: the client does not depend on numpy
            return importlib.import_module("numpy").concatenate(values)
        return [item for value in values for item in (value if isinstance(value, list | tuple | range) else [value])]

    def __iter__(self) -> Iterator[Any]:
        yield from self.get()


def msg_ids_of(jobs: Any) -> list[str]:
    """The msg_ids of a msg_id, an AsyncResult, a task's future, or an iterable of those (a Dependency too)."""
    if isinstance(jobs, str):
        return [jobs]
    if isinstance(jobs, AsyncResult):
        return list(jobs.msg_ids)
    if isinstance(jobs, TaskFuture):
        return [jobs.msg_id]
    if isinstance(jobs, Iterable):
        return [msg_id for job in jobs for msg_id in msg_ids_of(job)]
    raise TypeError(f"a job is a msg_id, an AsyncResult or a task's future, not {type(jobs).__name__}: {jobs!r}")
