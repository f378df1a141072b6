"""`DirectView`: work on each of its target engines."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ipcluster.client._asyncresult import AsyncMapResult, AsyncResult
from ipcluster.client._remote_ops import pull_names, push_namespace
from ipcluster.client._view import MT, View
from ipcluster.protocol import work_pb2


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
