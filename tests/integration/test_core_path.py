"""The core path on a real local cluster of four engines: client -> scheduler -> engine -> client."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import zmq

from ipcluster.client import CompositeError, DirectView, EngineError, LoadBalancedView, RemoteError
from ipcluster.protocol import Session, header_pb2, read_connection_file, url, work_pb2


@pytest.fixture(scope="module")
def rc(shared_cluster):
    return shared_cluster[1]


def test_four_engines_with_distinct_processes(rc):
    """ipcluster start -n 4 gives engines 0-3, each its own process."""
    assert [0, 1, 2, 3] == rc.ids
    pids = rc[:].apply_sync(os.getpid)
    assert 4 == len(set(pids))
    assert os.getpid() not in pids


def test_views_from_indexing(rc):
    """rc[i] targets one engine (a single result), rc[:] and rc[[0, 2]] several (a list)."""
    assert isinstance(rc[:], DirectView)
    assert 2 == rc[2].apply_sync(lambda x: x, 2)
    result = rc[[0, 2]].apply_async(os.getpid)
    assert 2 == len(result.get(10))
    assert [0, 2] == [meta["engine_id"] for meta in result.metadata]
    assert [1, 2, 3] == [meta["engine_id"] for meta in rc[1:].apply_async(int).metadata]


def test_apply_async_result_api(rc):
    """AsyncResult: get with time-out, wait, ready, successful, metadata."""
    result = rc[1].apply_async(pow, 2, 10)
    assert result.wait(10)
    assert result.ready() and result.successful()
    assert 1024 == result.get(timeout=10)
    assert 1 == result.engine_id


def test_closures_and_main_functions_run_remotely(rc):
    """Lambdas and closures over local values work without being importable on the engine."""
    base = 100

    def add_base(x):
        return x + base

    assert [101, 101, 101, 101] == rc[:].apply_sync(add_base, 1)
    assert 7 == rc.load_balanced_view().apply_sync(lambda a, b: a + b, 3, 4)


def test_execute_push_pull_and_stdout(rc):
    """execute runs code in the namespace; push and pull move values; prints come back."""
    dv = rc[:]
    dv.push({"a": 5, "b": [1, 2]}, block=True)
    result = dv.execute("c = a * 2\nprint('c is', c)")
    result.get(10)
    assert ["c is 10\n"] * 4 == result.stdout
    assert [10] * 4 == dv.pull("c", block=True)
    assert [[5, [1, 2]]] * 4 == dv.pull(["a", "b"], block=True)
    with pytest.raises(CompositeError) as caught:
        dv.pull("undefined_name", block=True)
    assert {"NameError"} == {error.ename for error in caught.value.elist}


def test_remote_error_carries_type_message_and_traceback(rc):
    """An exception on an engine is a RemoteError with the remote type, message and traceback."""

    def fails():
        return {}["missing"]

    with pytest.raises(RemoteError) as caught:
        rc[0].apply_sync(fails)
    error = caught.value
    assert ("KeyError", "'missing'") == (error.ename, error.evalue)
    assert "fails" in error.traceback and "ipcluster/engine" not in error.traceback
    with pytest.raises(RemoteError, match="ZeroDivisionError"):
        rc.load_balanced_view().apply_async(lambda: 1 / 0).get(10)


def test_direct_map_partitions_over_engines(rc):
    """DirectView.map_sync splits the sequence across engines and keeps the order."""
    assert [x * x for x in range(21)] == rc[:].map_sync(lambda x: x * x, range(21))
    assert [5, 7, 9] == rc[:].map_sync(lambda a, b: a + b, [1, 2, 3], [4, 5, 6])


def test_map_honours_block_and_refuses_unknown_flags(rc):
    """map(block=True) returns the list; block=False an AsyncMapResult; a flag a view lacks, or a target no engine
    has, is an error."""
    assert [0, 1, 2] == rc[:].map(lambda x: x, range(3), block=True)
    assert [0, 1, 2] == rc.load_balanced_view().map(lambda x: x, range(3), block=False).get(10)
    with pytest.raises(TypeError, match="chunksize"):
        rc[:].map(lambda x: x, range(3), chunksize=2)
    with pytest.raises(EngineError, match="engine 99 is not registered"):
        rc.load_balanced_view(targets=[0, 99])


def test_load_balanced_map_and_apply(rc):
    """LoadBalancedView spreads tasks over every engine and returns results in order."""
    view = rc.load_balanced_view()
    assert isinstance(view, LoadBalancedView)
    result = view.map_async(lambda x: (x, __import__("os").getpid()), range(40), chunksize=1)
    values = result.get(30)
    assert list(range(40)) == [value for value, _ in values]
    assert 1 < len({pid for _, pid in values})
    assert list(range(0, 80, 2)) == view.map_async(lambda x: 2 * x, range(40), chunksize=7).get(30)
    results = [view.apply_async(lambda i: i + 1, i) for i in range(20)]
    assert list(range(1, 21)) == [r.get(10) for r in results]


def test_numpy_arrays_arrive_intact_and_writable(rc):
    """A pushed 8 MB array arrives equal, usable in place, and comes back."""
    array = np.arange(1_000_000, dtype=np.float64)
    rc[:].push({"big": array}, block=True)
    rc[:].execute("total = float(big.sum())").get(10)
    assert [float(array.sum())] * 4 == rc[:].pull("total", block=True)
    rc[0].execute("big[0] = -1.0").get(10)
    back = rc[0].pull("big", block=True)
    assert -1.0 == back[0]
    np.testing.assert_array_equal(array[1:], back[1:])


def test_output_streams_live_on_iopub(rc, shared_cluster):
    """What a task prints is published on iopub, tagged with the task and engine."""
    cluster, _ = shared_cluster
    info = read_connection_file(cluster.profile / "security" / "ipcontroller-client.json")
    context = zmq.Context()
    subscriber = context.socket(zmq.SUB)
    subscriber.subscribe(b"")
    subscriber.connect(url(info, "iopub"))
    try:
        session = Session(info["key"].encode())
        for _ in range(50):  # a SUB socket joins asynchronously: repeat until one message gets through
            result = rc[3].execute("print('streamed')")
            result.get(10)
            if subscriber.poll(200):
                break
        else:
            pytest.fail("no stream output reached the iopub subscriber")
        msg = session.unpack(subscriber.recv_multipart(copy=False))
        assert header_pb2.STREAM == msg.header.msg_type
        assert 3 == msg.header.engine_id
        stream = msg.content(work_pb2.StreamOutput)
        assert ("stdout", "streamed\n") == (stream.name, stream.text)
    finally:
        subscriber.close()
        context.term()


def test_queue_status_counts_completed_work(rc):
    """The hub's queue status shows every engine with its completed count."""
    rc[:].apply_sync(int)
    status = rc.queue_status()
    assert {0, 1, 2, 3, "unassigned"} == set(status)
    assert all(status[i]["completed"] >= 1 for i in range(4))
    assert json.dumps(status[0])
