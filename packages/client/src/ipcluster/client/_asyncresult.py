"""Results that arrive later: one `TaskFuture` per message, gathered by an `AsyncResult`."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future
from concurrent.futures import wait as wait_futures
from typing import Any

from ipcluster.client._errors import CompositeError


class TaskFuture(Future):
    """The future of one request to one engine, with what the engine reported about it."""

    def __init__(self, msg_id: str, engine_uuid: str = ""):
        super().__init__()
        self.msg_id = msg_id
        self.engine_uuid = engine_uuid
        self.metadata: dict[str, Any] = {
            "msg_id": msg_id,
            "engine_id": None,
            "submitted": time.time(),
            "started": None,
            "completed": None,
            "received": None,
            "stdout": "",
            "stderr": "",
            "status": "pending",
        }


class AsyncResult:
    """The result of work sent to one or more engines.

    `get` returns one value when one message was sent to a single engine or
    the load balancer, and a list otherwise, as in ipyparallel.
    """

    def __init__(self, children: Sequence[TaskFuture], *, single: bool = False, label: str = ""):
        self._children = list(children)
        self._single = single
        self.label = label

    @property
    def msg_ids(self) -> list[str]:
        return [child.msg_id for child in self._children]

    def __len__(self) -> int:
        return len(self._children)

    def ready(self) -> bool:
        return all(child.done() for child in self._children)

    done = ready

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every message is answered or `timeout` passes; True when all are."""
        if not self.ready():
            wait_futures(self._children, timeout)
        return self.ready()

    def successful(self) -> bool:
        if not self.ready():
            raise AssertionError("the result is not ready yet: call wait() or get() first")
        return all(child.exception() is None for child in self._children)

    def get(self, timeout: float | None = None) -> Any:
        """The result, raising the remote error if there was one.

        Raises TimeoutError when it is not ready within `timeout` seconds.
        """
        if not self.ready():
            finished, pending = wait_futures(self._children, timeout, return_when=FIRST_EXCEPTION)
            errors = [child.exception() for child in finished if child.exception() is not None]
            if pending and not errors:
                raise TimeoutError(f"{len(pending)} of {len(self._children)} results not ready after {timeout} s")
        return self._collect()

    result = get

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
        values = self.get(timeout)
        values = [values] if self._single else values
        ids = [child.metadata["engine_id"] for child in self._children]
        if len(set(ids)) != len(ids):
            raise ValueError("several results came from one engine; get_dict needs one result per engine")
        return dict(zip(ids, values, strict=True))

    def __iter__(self) -> Iterator[Any]:
        for child in self._children:
            value = child.result()
            yield from (value if isinstance(self, AsyncMapResult) else [value])

    # -- metadata

    def _meta(self, key: str) -> Any:
        values = [child.metadata[key] for child in self._children]
        return values[0] if self._single else values

    @property
    def metadata(self) -> Any:
        return self._children[0].metadata if self._single else [child.metadata for child in self._children]

    @property
    def stdout(self) -> Any:
        return self._meta("stdout")

    @property
    def stderr(self) -> Any:
        return self._meta("stderr")

    @property
    def engine_id(self) -> Any:
        return self._meta("engine_id")

    @property
    def elapsed(self) -> float:
        """Seconds from the first submission until now, or until the last answer when done."""
        submitted = min(child.metadata["submitted"] for child in self._children)
        if self.ready():
            return max(child.metadata["received"] or time.time() for child in self._children) - submitted
        return time.time() - submitted

    @property
    def wall_time(self) -> float:
        self._require_ready()
        start = min(c.metadata["submitted"] for c in self._children)
        return max(c.metadata["received"] for c in self._children) - start

    @property
    def serial_time(self) -> float:
        self._require_ready()
        return sum((c.metadata["completed"] or 0) - (c.metadata["started"] or 0) for c in self._children)

    @property
    def progress(self) -> int:
        return sum(child.done() for child in self._children)

    def _require_ready(self) -> None:
        if not self.ready():
            raise TimeoutError("the result is not ready yet")

    def __repr__(self) -> str:
        state = "finished" if self.ready() else "pending"
        return f"<{type(self).__name__}({self.label or len(self)}): {state}>"


class AsyncMapResult(AsyncResult):
    """The result of a map: the chunks' results joined into one list."""

    def _join(self, values: list[Any]) -> Any:
        return [item for chunk in values for item in chunk]

