"""AsyncResult as a concurrent.futures.Future and an awaitable, with futures resolved by hand."""

import asyncio
import concurrent.futures
import sys
import threading

import pytest

from ipcluster.client import AsyncMapResult, AsyncResult, CompositeError, RemoteError
from ipcluster.client._asyncresult import AsyncGatherResult, TaskFuture


def answered(value, engine_id=0, stdout="", stderr=""):
    future = TaskFuture(f"m{engine_id}")
    future.metadata.update(engine_id=engine_id, stdout=stdout, stderr=stderr)
    future.set_result(value)
    return future


def test_resolves_only_when_every_child_is_answered():
    """The AsyncResult's own future state follows its children: done once the last one is."""
    first, second = TaskFuture("a"), TaskFuture("b")
    result = AsyncResult([first, second])
    first.set_result(1)
    assert not result.done()
    second.set_result(2)
    assert result.done()
    assert [1, 2] == result.result(timeout=0)


def test_concurrent_futures_wait_and_as_completed_accept_it():
    """concurrent.futures.wait and as_completed see an AsyncResult finish."""
    child = TaskFuture("a")
    result = AsyncResult([child], single=True)
    assert 1 == len(concurrent.futures.wait([result], timeout=0).not_done)
    threading.Timer(0.05, child.set_result, [7]).start()
    assert [result] == list(concurrent.futures.as_completed([result], timeout=10))
    assert 7 == result.result()


def test_failure_is_the_future_exception_and_cancel_is_refused():
    """A remote error becomes the future's exception; sent work cannot be cancelled."""
    error = RemoteError("ValueError", "bad")
    failing = TaskFuture("a")
    failing.set_exception(error)
    result = AsyncResult([failing, answered(1)])
    assert isinstance(result.exception(timeout=0), CompositeError)
    assert not result.successful()
    assert not result.cancel()


def test_await_does_not_block_the_event_loop():
    """await ar lets other coroutines run while the engines work."""
    child = TaskFuture("a")
    result = AsyncResult([child], single=True)
    ticks = []

    async def ticker():
        for tick in range(3):
            ticks.append(tick)
            await asyncio.sleep(0)
        child.set_result("done")  # answered only after the loop ran the ticker: await did not block it

    async def main():
        return (await asyncio.gather(result, ticker()))[0]

    # were the loop blocked, the ticker could not answer: this timer would, and the value would be wrong
    fallback = threading.Timer(5, lambda: child.done() or child.set_result("the loop was blocked"))
    fallback.start()
    try:
        assert "done" == asyncio.run(main())
    finally:
        fallback.cancel()
    assert [0, 1, 2] == ticks


def test_unordered_map_yields_the_chunk_answered_first():
    """AsyncMapResult(ordered=False) iterates chunks as they complete; ordered waits for the first."""
    first, second = TaskFuture("a"), TaskFuture("b")
    unordered = AsyncMapResult([first, second], ordered=False, lengths=[2, 2])
    ordered = AsyncMapResult([first, second], lengths=[2, 2])
    second.set_result([3, 4])
    items = iter(unordered)
    assert (3, 4) == (next(items), next(items))
    with pytest.raises(concurrent.futures.TimeoutError):
        next(ordered._iterate(deadline=0))
    first.set_result([1, 2])
    assert [1, 2] == list(items)
    assert [1, 2, 3, 4] == list(ordered)


def test_map_length_indexing_and_metadata_lookup():
    """len counts items; ar[i] and ar[slice] index the results; ar['key'] reads metadata."""
    result = AsyncMapResult([answered([0, 1], 0), answered([4, 9], 1)], lengths=[2, 2])
    assert 4 == len(result)
    assert 9 == result[3]
    assert [1, 4] == result[1:3]
    assert [0, 1] == result["engine_id"]


def test_indexing_before_ready_is_a_timeout():
    """ar[0] on a pending result raises TimeoutError, as ipyparallel."""
    with pytest.raises(TimeoutError, match="not ready"):
        AsyncResult([TaskFuture("a")])[0]


def test_gather_joins_lists_single_items_and_arrays():
    """Gathered blocks join: lists concatenated, a lone flattened item counted as one, arrays concatenated."""
    np = pytest.importorskip("numpy")
    assert [1, 2, 3, 4] == AsyncGatherResult([answered([1, 2]), answered(3), answered([4])]).get()
    joined = AsyncGatherResult([answered(np.arange(2)), answered(np.arange(2, 5))]).get()
    assert [0, 1, 2, 3, 4] == joined.tolist()


def test_display_outputs_labels_each_engine(capsys):
    """display_outputs prints each engine's streams behind [stdout:N] / [stderr:N]."""
    AsyncResult([answered(None, 0, "hello\n"), answered(None, 1, "a\nb\n", "oops")]).display_outputs()
    captured = capsys.readouterr()
    assert "[stdout:0] hello\n[stdout:1]\na\nb\n" == captured.out
    assert "[stderr:1] oops\n" == captured.err


def test_wait_interactive_without_tqdm_prints_a_progress_line(monkeypatch, capsys):
    """Without tqdm, wait_interactive shows 'label: done/total' on stderr and returns when done."""
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails as if tqdm were not installed
    child = TaskFuture("a")
    result = AsyncResult([answered(1), child], label="work")
    threading.Timer(0.05, child.set_result, [2]).start()
    result.wait_interactive(interval=0.01, timeout=10)
    assert result.done()
    assert "work: 2/2" in capsys.readouterr().err


def test_wait_interactive_with_tqdm_drives_a_bar(capsys):
    """With tqdm installed, the bar reaches the total."""
    pytest.importorskip("tqdm")
    result = AsyncResult([answered(1), answered(2)], label="work")
    result.wait_interactive(interval=0.01, timeout=10)
    assert "2/2" in capsys.readouterr().err


def test_wait_interactive_gives_up_at_its_timeout():
    """A result that never finishes returns from wait_interactive after the timeout, still pending."""
    result = AsyncResult([TaskFuture("never")])
    result.wait_interactive(interval=0.01, timeout=0.05)
    assert not result.done()
