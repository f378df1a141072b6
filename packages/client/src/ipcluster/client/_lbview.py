"""`LoadBalancedView`: each task goes wherever the scheduler's policy finds room."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ipcluster.client._asyncresult import AsyncMapResult, AsyncResult
from ipcluster.client._view import MT, View
from ipcluster.protocol import work_pb2


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
