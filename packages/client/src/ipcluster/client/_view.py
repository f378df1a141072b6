"""What every view shares: the client, flags, and apply's and map's three forms.

`DirectView` (``_directview.py``) runs work on named engines,
`LoadBalancedView` (``_lbview.py``) wherever there is room.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from ipcluster.client._asyncresult import AsyncMapResult, AsyncResult, TaskFuture
from ipcluster.protocol import header_pb2, serialize, serialize_apply, work_pb2

if TYPE_CHECKING:
    from ipcluster.client._client import Client

MT = header_pb2.MsgType


class View(ABC):
    """What both views share: the client, the flags and apply's three forms."""

    channel = ""
    # what set_flags and temp_flags accept; each view adds its own
    flag_names: ClassVar[tuple[str, ...]] = ("block",)

    def __init__(self, client: Client, targets: Any):
        self.client = client
        self.targets = targets
        self.block = False

    def set_flags(self, **flags: Any) -> None:
        """Set flags for every later call of this view: ``view.set_flags(block=True)``."""
        unknown = sorted(set(flags) - set(self.flag_names))
        if unknown:
            raise ValueError(f"{type(self).__name__} has no flag {', '.join(unknown)}: "
                             f"its flags are {', '.join(self.flag_names)}")
        for name, value in flags.items():
            setattr(self, name, value)

    @contextmanager
    def temp_flags(self, **flags: Any) -> Iterator[View]:
        """Set flags for the calls inside a ``with`` block only."""
        self.set_flags()  # nothing, but first: an unknown flag fails before anything changes
        saved = {name: getattr(self, name) for name in flags if name in self.flag_names}
        self.set_flags(**flags)
        try:
            yield self
        finally:
            self.set_flags(**saved)

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
