"""`ViewExecutor`: a view as a `concurrent.futures.Executor` (PEP 3148).

Its futures are the view's `AsyncResult`s, so ``concurrent.futures.wait`` and
``as_completed`` work on them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from concurrent.futures import wait as wait_futures
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ipcluster.client._asyncresult import AsyncResult
    from ipcluster.client._view import View


class ViewExecutor(Executor):
    """``submit`` is the view's ``apply_async``, ``map`` its ``map_async`` read lazily."""

    def __init__(self, view: View):
        self.view = view
        self._lock = threading.Lock()
        self._shut = False
        self._pending: set[Future] = set()

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> AsyncResult:
        return self._track(lambda: self.view.apply_async(fn, *args, **kwargs))

    def map(self, fn: Callable, *iterables: Iterable, timeout: float | None = None, chunksize: int = 1
            ) -> Iterator[Any]:
        """Send every item now; the iterator yields results in order as they arrive."""
        sequences = [list(iterable) for iterable in iterables]
        options = {} if chunksize == 1 else {"chunksize": chunksize}  # only the load-balanced map chunks
        result = self._track(lambda: self.view.map_async(fn, *sequences, **options))
        return result._iterate(None if timeout is None else time.monotonic() + timeout)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Refuse new work; with `wait`, return once everything submitted is done (sent work is never cancelled)."""
        with self._lock:
            self._shut = True
            pending = list(self._pending)
        if wait:
            wait_futures(pending)

    def _track(self, send: Callable[[], AsyncResult]) -> AsyncResult:
        with self._lock:
            if self._shut:
                raise RuntimeError("cannot submit to an executor after shutdown")
            result = send()
            self._pending.add(result)
        result.add_done_callback(self._done)
        return result

    def _done(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)
