"""ViewExecutor over a stand-in view whose results are resolved by hand."""

import threading

import pytest

from ipcluster.client import AsyncResult, ViewExecutor
from ipcluster.client._asyncresult import AsyncMapResult, TaskFuture


class HandView:
    """A view whose every call returns a pending result; the test answers them."""

    def __init__(self):
        self.sent: list[TaskFuture] = []

    def apply_async(self, function, *args, **kwargs):
        child = TaskFuture(f"m{len(self.sent)}")
        self.sent.append(child)
        return AsyncResult([child], single=True)

    def map_async(self, function, *sequences, **options):
        children = [TaskFuture(f"c{i}") for i in range(len(sequences[0]))]
        self.sent += children
        return AsyncMapResult(children, lengths=[1] * len(children))


def test_shutdown_waits_for_submitted_work_then_refuses_more():
    """shutdown(wait=True) returns only after every submitted future is done; submit afterwards is an error."""
    view = HandView()
    executor = ViewExecutor(view)
    future = executor.submit(abs, -1)
    threading.Timer(0.05, view.sent[0].set_result, [1]).start()
    executor.shutdown(wait=True)
    assert future.done()
    with pytest.raises(RuntimeError, match="after shutdown"):
        executor.submit(abs, -1)
    with pytest.raises(RuntimeError, match="after shutdown"):
        executor.map(abs, [1])


def test_map_sends_everything_at_once_and_yields_lazily():
    """map sends every item before the first is read, and yields each as soon as it is there."""
    view = HandView()
    results = ViewExecutor(view).map(abs, [-1, -2, -3])
    assert 3 == len(view.sent)
    view.sent[0].set_result([1])
    assert 1 == next(results)
    view.sent[1].set_result([2])
    view.sent[2].set_result([3])
    assert [2, 3] == list(results)


def test_map_timeout_applies_to_the_whole_map():
    """A result not there within map's timeout raises TimeoutError when read."""
    view = HandView()
    results = ViewExecutor(view).map(abs, [-1], timeout=0.01)
    with pytest.raises(TimeoutError):
        next(results)
