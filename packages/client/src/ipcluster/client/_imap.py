"""`LoadBalancedView.imap`: a map over iterables of any length, with a bounded number of tasks in flight.

Items are drawn from the iterables only as earlier chunks finish, so an
endless generator works and memory stays flat, as with ipyparallel's imap.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, wait
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ipcluster.client._asyncresult import AsyncMapResult
    from ipcluster.client._lbview import LoadBalancedView


def bounded_imap(view: LoadBalancedView, function: Callable, iterables: tuple[Iterable, ...], chunksize: int,
                 ordered: bool, max_outstanding: int, flags: dict[str, Any]) -> Iterator[Any]:
    """Results one by one; at most `max_outstanding` chunks are sent and unanswered at any time."""
    items = zip(*iterables, strict=False)  # as map: the shortest iterable ends it
    in_flight: deque[AsyncMapResult] = deque()
    exhausted = False
    while True:
        while not exhausted and len(in_flight) < max_outstanding:
            chunk = list(itertools.islice(items, chunksize))
            exhausted = not chunk
            if chunk:
                columns = [list(column) for column in zip(*chunk, strict=True)]
                in_flight.append(view.map_async(function, *columns, chunksize=len(chunk), **flags))
        if not in_flight:
            return
        if ordered:
            finished = in_flight.popleft()
        else:
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            finished = next(result for result in in_flight if result in done)
            in_flight.remove(finished)
        yield from finished.get()
