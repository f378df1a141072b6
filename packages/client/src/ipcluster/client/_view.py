"""Views: `DirectView` runs work on named engines, `LoadBalancedView` wherever there is room."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ipcluster.client._asyncresult import AsyncMapResult, AsyncResult, TaskFuture
from ipcluster.client._remote_ops import pull_names, push_namespace
from ipcluster.protocol import header_pb2, serialize, serialize_apply, work_pb2

if TYPE_CHECKING:
    from ipcluster.client._client import Client

MT = header_pb2.MsgType


class View(ABC):
    """What both views share: the client, the block flag and apply's three forms."""

    channel = ""

    def __init__(self, client: Client, targets: Any):
        self.client = client
        self.targets = targets
        self.block = False

    def apply(self, function: Callable, *args: Any, **kwargs: Any) -> Any:
        result = self.apply_async(function, *args, **kwargs)
        return result.get() if self.block else result

    def apply_sync(self, function: Callable, *args: Any, **kwargs: Any) -> Any:
        return self.apply_async(function, *args, **kwargs).get()

    def apply_async(self, function: Callable, *args: Any, **kwargs: Any) -> AsyncResult:
        function_buffers, frames = serialize_apply(function, args, kwargs)
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

    def _blocking(self, block: bool | None) -> bool:
        return self.block if block is None else block

    def _send_map(self, function: Callable, sequences: Sequence[Sequence], bounds: Sequence[int],
                  engine_ids: Sequence[int | None]) -> AsyncMapResult:
        """One map chunk per pair of consecutive `bounds`, sent to the matching engine (None: any).

        The function is pickled once for the whole map.
        """
        wrapped = serialize(function)
        content = work_pb2.ApplyRequest(function_buffers=len(wrapped) - 1, map=True)
        children = []
        for engine_id, start, stop in zip(engine_ids, bounds, bounds[1:], strict=False):
            chunks = tuple(list(sequence[start:stop]) for sequence in sequences)
            children.append(self._send(MT.APPLY_REQUEST, content, [*wrapped, *serialize((chunks, {}))], engine_id))
        return AsyncMapResult(children, label=getattr(function, "__name__", "map"))

    def _send(self, msg_type: MT, content, frames: list, engine_id: int | None) -> TaskFuture:
        header = self.client.session.header(msg_type, engine_id=-1 if engine_id is None else engine_id)
        return self.client.send(self.channel, header, content, frames, engine_id)


class DirectView(View):
    """Work on each of its target engines: ``rc[:]``, ``rc[0]``, ``rc[[0, 2]]``."""

    channel = "mux"

    def __repr__(self) -> str:
        return f"<DirectView {self.targets}>"

    @property
    def _single(self) -> bool:
        return isinstance(self.targets, int)

    def _send_apply(self, content: work_pb2.ApplyRequest, frames: list, label: str) -> AsyncResult:
        targets = self.client.resolve_targets(self.targets)
        children = [self._send(MT.APPLY_REQUEST, content, frames, engine_id) for engine_id in targets]
        return AsyncResult(children, single=self._single, label=label)

    def execute(self, code: str, silent: bool = True, block: bool | None = None) -> AsyncResult:
        """Run a string of code in each engine's namespace."""
        targets = self.client.resolve_targets(self.targets)
        request = work_pb2.ExecuteRequest(code=code, silent=silent)
        children = [self._send(MT.EXECUTE_REQUEST, request, [], engine_id) for engine_id in targets]
        result = AsyncResult(children, single=self._single, label="execute")
        if self._blocking(block):
            result.get()
        return result

    def push(self, namespace: dict[str, Any], block: bool | None = None) -> AsyncResult | None:
        """Set names in each engine's namespace."""
        result = self.apply_async(push_namespace, namespace)
        if self._blocking(block):
            result.get()
            return None
        return result

    def pull(self, names: str | Sequence[str], block: bool | None = None) -> Any:
        """Get names from each engine's namespace."""
        result = self.apply_async(pull_names, names if isinstance(names, str) else list(names))
        return result.get() if self._blocking(block) else result

    def map_async(self, function: Callable, *sequences: Sequence) -> AsyncMapResult:
        """One contiguous chunk of the sequences per engine, results in order."""
        targets = self.client.resolve_targets(self.targets)
        length = min(len(sequence) for sequence in sequences)
        bounds = [length * i // len(targets) for i in range(len(targets) + 1)]
        return self._send_map(function, sequences, bounds, targets)


class LoadBalancedView(View):
    """Each task goes to whichever engine the scheduler's policy picks."""

    channel = "task"

    def __repr__(self) -> str:
        return "<LoadBalancedView>"

    def _send_apply(self, content: work_pb2.ApplyRequest, frames: list, label: str) -> AsyncResult:
        return AsyncResult([self._send(MT.APPLY_REQUEST, content, frames, None)], single=True, label=label)

    def map_async(self, function: Callable, *sequences: Sequence, chunksize: int = 1) -> AsyncMapResult:
        """One task per `chunksize` items; results in submission order."""
        length = min(len(sequence) for sequence in sequences)
        bounds = [*range(0, length, chunksize), length]
        return self._send_map(function, sequences, bounds, [None] * (len(bounds) - 1))
