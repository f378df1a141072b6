"""AsyncResult, the executors and errors on a real cluster of four engines."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
from datetime import datetime

import pytest

from ipcluster.client import AsyncMapResult, CompositeError, RemoteError, ViewExecutor

TIMEOUT = 30


@pytest.fixture(scope="module")
def rc(shared_cluster):
    return shared_cluster[1]


def test_async_results_work_with_concurrent_futures(rc):
    """concurrent.futures.wait and as_completed accept AsyncResults of both views."""
    results = [rc[i].apply_async(pow, i, 2) for i in range(4)] + [rc.load_balanced_view().apply_async(pow, 5, 2)]
    done, not_done = concurrent.futures.wait(results, timeout=TIMEOUT)
    assert (5, 0) == (len(done), len(not_done))
    assert [0, 1, 4, 9, 25] == sorted(f.result() for f in concurrent.futures.as_completed(results, TIMEOUT))


def test_await_inside_asyncio_keeps_the_loop_running(rc):
    """await ar from a running loop returns the value; other coroutines run while it waits."""
    ticks = []

    async def ticker(stop: asyncio.Event):
        while not stop.is_set():
            ticks.append(1)
            await asyncio.sleep(0.001)

    async def main():
        stop = asyncio.Event()
        ticking = asyncio.create_task(ticker(stop))
        values = await rc[:].apply_async(lambda: sum(range(10**6)))
        lb_value = await rc.load_balanced_view().apply_async(pow, 2, 5)
        stop.set()
        await ticking
        return values, lb_value

    assert ([sum(range(10**6))] * 4, 32) == asyncio.run(asyncio.wait_for(main(), TIMEOUT))
    assert ticks


def test_metadata_and_timings(rc):
    """metadata gives engine id, output and the four times in order; wall, serial and elapsed times follow."""
    result = rc[[1, 2]].apply_async(lambda: print("hi") or os.getpid())
    result.get(TIMEOUT)
    assert [1, 2] == result.engine_id == [meta["engine_id"] for meta in result.metadata]
    assert ["hi\n", "hi\n"] == result.stdout
    assert ["", ""] == result.stderr
    for meta in result.metadata:
        assert meta["submitted"] <= meta["received"]
        assert meta["started"] <= meta["completed"]
        assert "ok" == meta["status"]
    assert [1, 2] == result["engine_id"]
    assert 0 < result.serial_time and 0 < result.wall_time
    assert result.wall_time == result.elapsed
    assert 2 == result.progress
    single = rc[3].apply_async(os.getpid)
    single.get(TIMEOUT)
    assert 3 == single.engine_id
    assert isinstance(single.completed, datetime)


def test_display_outputs_labels_streams_by_engine(rc, capsys):
    """display_outputs prints each engine's stdout and stderr behind [stdout:N] / [stderr:N]."""
    result = rc[[0, 2]].execute("import sys\nprint('hello')\nprint('bad', file=sys.stderr)")
    result.get(TIMEOUT)
    capsys.readouterr()
    result.display_outputs()
    captured = capsys.readouterr()
    assert "[stdout:0] hello\n[stdout:2] hello\n" == captured.out
    assert "[stderr:0] bad\n[stderr:2] bad\n" == captured.err


def test_iteration_indexing_length_and_get_dict(rc):
    """Iterating yields results in order; ar[i], ar[slice], len and get_dict as ipyparallel."""
    result = rc[:].apply_async(lambda x: x, "v")
    assert ["v", "v", "v", "v"] == list(result)
    assert "v" == result[3]
    assert ["v", "v"] == result[1:3]
    assert 4 == len(result)
    assert {0: "v", 1: "v", 2: "v", 3: "v"} == result.get_dict(TIMEOUT)
    mapped = rc[:].map_async(lambda x: x + 1, range(9))
    assert isinstance(mapped, AsyncMapResult)
    assert 9 == len(mapped)
    assert list(range(1, 10)) == list(mapped)
    assert [6, 7] == mapped[5:7]


def test_wait_interactive_shows_progress(rc, capsys):
    """wait_interactive returns once done, its bar reaching the number of tasks."""
    result = rc.load_balanced_view().map_async(abs, range(-5, 0))
    result.wait_interactive(interval=0.01, timeout=TIMEOUT)
    assert result.done()
    assert "5/5" in capsys.readouterr().err


def test_composite_error_from_engines(rc, capsys):
    """Several failing engines give a CompositeError: raise_exception picks one, print_traceback shows them."""

    def fail_on_odd(engine):
        if engine % 2:
            raise ValueError(f"odd {engine}")
        return engine

    result = rc[:].map_async(fail_on_odd, range(4))
    with pytest.raises(CompositeError) as caught:
        result.get(TIMEOUT)
    result.wait(TIMEOUT)
    assert not result.successful()
    composite = result.exception()
    assert isinstance(composite, CompositeError)
    assert ["odd 1", "odd 3"] == sorted(error.evalue for error in composite.elist)
    with pytest.raises(RemoteError, match="ValueError: odd"):
        composite.raise_exception(excid=1)
    composite.print_traceback()
    printed = capsys.readouterr().out
    assert 2 == printed.count("ValueError: odd")
    assert "fail_on_odd" in printed
    assert caught.value is not None


def test_client_executor_submit_map_and_shutdown(rc):
    """rc.executor(): submit returns futures, map is lazy and ordered, shutdown waits and then refuses work."""
    with rc.executor() as executor:
        assert isinstance(executor, ViewExecutor)
        futures = [executor.submit(pow, 2, n) for n in range(5)]
        assert [1, 2, 4, 8, 16] == sorted(f.result(TIMEOUT) for f in concurrent.futures.as_completed(futures))
        mapped = executor.map(lambda x: -x, range(6), timeout=TIMEOUT)
        assert 0 == next(mapped)
        assert [-1, -2, -3, -4, -5] == list(mapped)
        assert [[1], [4]] == list(executor.map(lambda x: [x * x], [1, 2], chunksize=2))
    with pytest.raises(RuntimeError, match="after shutdown"):
        executor.submit(abs, 1)


def test_view_executor_on_a_direct_view(rc):
    """view.executor submits to every engine of the view; shutdown(wait=True) waits for what was submitted."""
    executor = rc[[0, 1]].executor
    future = executor.submit(lambda: os.getpid())
    executor.shutdown(wait=True)
    assert future.done()
    assert 2 == len(set(future.result()))
    assert list(range(0, 20, 2)) == list(rc[:].executor.map(lambda x: 2 * x, range(10)))


def test_executor_map_times_out(rc, tmp_path):
    """executor.map(timeout=...) raises TimeoutError for a result not there in time."""
    gate = tmp_path / "gate"

    def held(path):
        import time
        from pathlib import Path

        deadline = time.monotonic() + 60
        while not Path(path).exists() and time.monotonic() < deadline:
            time.sleep(0.01)

    mapped = rc[0].executor.map(held, [str(gate)], timeout=0.1)
    with pytest.raises(TimeoutError):
        next(mapped)
    gate.touch()
    assert rc.wait(timeout=TIMEOUT)
