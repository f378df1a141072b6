"""`DirectView`: work on each of its target engines, and their namespaces as a dict."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from ipcluster.client._asyncresult import AsyncGatherResult, AsyncMapResult, AsyncResult
from ipcluster.client._pickling import call_frames
from ipcluster.client._remote_ops import pull_names, push_namespace
from ipcluster.client._scatter import block_bounds, partition
from ipcluster.client._sync_imports import sync_imports
from ipcluster.client._view import MT, Targets, View
from ipcluster.protocol import work_pb2


class DirectView(View):
    """Work on each of its target engines: ``rc[:]``, ``rc[0]``, ``rc[[0, 2]]``, ``rc.direct_view('all')``.

    Targets ``'all'`` and slices are read again at each call, so engines that
    joined since are included.
    """

    channel = "mux"
    flag_names = ("block", "targets", "time_limit")

    def __repr__(self) -> str:
        return f"<DirectView {self.targets}>"

    def _engines(self, targets: Targets = None) -> list[int]:
        return self.client.resolve_targets(self.targets if targets is None else targets)

    def _is_single(self, targets: Targets = None) -> bool:
        return isinstance(self.targets if targets is None else targets, int)

    def _partition_targets(self) -> list[int | None]:
        return list(self._engines())

    def _send_apply(self, content: work_pb2.ApplyRequest, frames: list, label: str, targets: Targets = None
                    ) -> AsyncResult:
        """The same request to every target: pickled once, however many engines."""
        engines = self._engines(targets)
        children = self._send_each(MT.APPLY_REQUEST, [(content, frames, engine_id) for engine_id in engines])
        return AsyncResult(children, single=self._is_single(targets), label=label)

    def _apply_all(self, function: Callable, args: tuple, targets: Targets, label: str) -> AsyncResult:
        function_buffers, frames = call_frames(function, args, {})
        return self._send_apply(work_pb2.ApplyRequest(function_buffers=function_buffers), frames, label, targets)

    def _finish(self, result: AsyncResult, block: bool | None, value: bool = True) -> Any:
        """The value (or None, for calls that only set something) when blocking, else the AsyncResult."""
        if not self._blocking(block):
            return result
        outcome = result.get()
        return outcome if value else None

    def execute(self, code: str, silent: bool = True, targets: Targets = None, block: bool | None = None
                ) -> AsyncResult:
        """Run a string of code in each engine's namespace.

        Returns the AsyncResult even when blocking (as ipyparallel), for its output and metadata.
        """
        request = work_pb2.ExecuteRequest(code=code, silent=silent)
        engines = self._engines(targets)
        children = self._send_each(MT.EXECUTE_REQUEST, [(request, [], engine_id) for engine_id in engines])
        result = AsyncResult(children, single=self._is_single(targets), label="execute")
        if self._blocking(block):
            result.get()
        return result

    def sync_imports(self, local: bool = True, quiet: bool = False) -> AbstractContextManager[None]:
        """``with dv.sync_imports(): import numpy``: the block's imports run on the engines too."""
        return sync_imports(self, local, quiet)

    def run(self, filename: str | Path, targets: Targets = None, block: bool | None = None) -> AsyncResult:
        """Run a Python file's code (read here, on the client) in each engine's namespace."""
        return self.execute(Path(filename).read_text(), targets=targets, block=block)

    def push(self, namespace: dict[str, Any], targets: Targets = None, block: bool | None = None) -> Any:
        """Set names in each engine's namespace."""
        if not isinstance(namespace, dict):
            raise TypeError(f"push needs a dict of names to values, not {type(namespace).__name__}")
        return self._finish(self._apply_all(push_namespace, (namespace,), targets, "push"), block, False)

    def pull(self, names: str | Sequence[str], targets: Targets = None, block: bool | None = None) -> Any:
        """Get names from each engine's namespace: a value per engine, or a list of values for a list of names."""
        wanted = names if isinstance(names, str) else list(names)
        return self._finish(self._apply_all(pull_names, (wanted,), targets, "pull"), block)

    def __setitem__(self, name: str, value: Any) -> None:
        self.update({name: value})

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def update(self, namespace: dict[str, Any]) -> None:
        """``dv.update({'a': 1})``: push, waiting for every engine."""
        self.push(namespace, block=True)

    def get(self, name: str) -> Any:
        """``dv.get('a')``: pull, waiting; one value per engine (the value itself for a single-engine view)."""
        if not isinstance(name, str):
            raise TypeError(f"a DirectView is indexed by a name, not {type(name).__name__}: use rc[...] for engines")
        return self.pull(name, block=True)

    def scatter(self, name: str, sequence: Any, flatten: bool = False, targets: Targets = None,
                block: bool | None = None) -> Any:
        """Give each engine one contiguous block of `sequence` as `name`.

        With `flatten`, an engine whose block has one item gets the item
        itself. Numpy arrays are scattered as sub-arrays.
        """
        engines = self._engines(targets)
        blocks = partition(sequence, len(engines), "scatter")
        if flatten:
            blocks = [block[0] if len(block) == 1 else block for block in blocks]
        calls: list[tuple[tuple, dict]] = [(({name: block},), {}) for block in blocks]
        result = AsyncResult(self._apply_each(push_namespace, calls, engines), label="scatter")
        return self._finish(result, block, False)

    def gather(self, name: str, targets: Targets = None, block: bool | None = None) -> Any:
        """`name` from every engine, joined into one list (or one array, when the blocks are numpy arrays)."""
        pulled = self._apply_all(pull_names, (name,), targets, "gather")
        return self._finish(AsyncGatherResult(pulled._children, label="gather"), block)

    def map_async(self, function: Callable, *sequences: Sequence) -> AsyncMapResult:
        """One contiguous chunk of the sequences per engine, results in order."""
        engines = self._engines()
        length = min(len(sequence) for sequence in sequences)
        return self._send_map(function, sequences, block_bounds(length, len(engines)), engines)
