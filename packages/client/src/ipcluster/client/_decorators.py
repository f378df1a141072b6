"""`remote` and `parallel`: functions that run through a view when called.

    @dv.remote(block=True)
    def pid(): return os.getpid()          # pid() -> one pid per engine

    @dv.parallel(block=True)
    def double(block): return [2 * x for x in block]
    double(range(8))                         # each engine doubles its block; the blocks joined
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ipcluster.client._asyncresult import AsyncGatherResult
from ipcluster.client._scatter import partition

if TYPE_CHECKING:
    from ipcluster.client._view import View


class RemoteFunction:
    """Calling it is ``view.apply(function, ...)``, blocking as `block` (None: as the view)."""

    def __init__(self, view: View, function: Callable, block: bool | None = None):
        functools.update_wrapper(self, function)
        self.view = view
        self.function = function
        self.block = block

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result = self.view.apply_async(self.function, *args, **kwargs)
        return result.get() if self.view._blocking(self.block) else result


class ParallelFunction(RemoteFunction):
    """Calling it runs the function once per engine on that engine's block of each positional argument.

    The blocks' results are joined (lists and numpy arrays concatenated), so
    the function must take and return sequences. ``.map`` applies it to each
    item instead, as ``view.map``.
    """

    def __call__(self, *sequences: Sequence, **kwargs: Any) -> Any:
        if not sequences:
            raise TypeError(f"parallel function {self.function.__name__} needs at least one sequence argument")
        engine_ids = self.view._partition_targets()
        blocks = [partition(sequence, len(engine_ids), f"parallel function {self.function.__name__}")
                  for sequence in sequences]
        calls = [(tuple(block[i] for block in blocks), kwargs) for i in range(len(engine_ids))]
        result = AsyncGatherResult(self.view._apply_each(self.function, calls, engine_ids),
                                   label=self.function.__name__)
        return result.get() if self.view._blocking(self.block) else result

    def map(self, *sequences: Sequence) -> Any:
        return self.view.map(self.function, *sequences, block=self.view._blocking(self.block))


def remote(view: View, block: bool | None = None) -> Callable[[Callable], RemoteFunction]:
    """``@remote(view)``: as ``@view.remote()``."""
    return view.remote(block=block)


def parallel(view: View, dist: str = "b", block: bool | None = None) -> Callable[[Callable], ParallelFunction]:
    """``@parallel(view)``: as ``@view.parallel()``."""
    return view.parallel(dist=dist, block=block)
