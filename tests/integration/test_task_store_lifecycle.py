"""Task stores over a controller's life: chosen and misconfigured, kept across restarts, absent, and engines dying."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from clusters import run, wait_until
from test_task_records import recorded, wait_for_file, write_controller_config

from ipcluster.client import EngineError, HubError

PERSISTENT = {
    "SQLiteDB": "c.HubFactory.db_class = 'SQLiteDB'\nc.SQLiteDB.table = 'kept'\n",
    "RedisDB": "c.HubFactory.db_class = 'RedisDB'\nc.RedisDB.url = {redis_url!r}\nc.RedisDB.prefix = 'kept:{stamp}'\n",
    "MongoDB": "c.HubFactory.db_class = 'MongoDB'\nc.MongoDB.connection_args = [{mongo_url!r}]\n"
               "c.MongoDB.database = 'kept{stamp}'\n",
}


@pytest.mark.parametrize("store", list(PERSISTENT))
def test_records_survive_a_controller_restart(store, ipython_dir, make_cluster, redis_url, mongo_url):
    """With a fixed table, prefix or database, a new client of a restarted controller (--reuse) gets old results."""
    write_controller_config(ipython_dir, PERSISTENT[store].format(redis_url=redis_url, mongo_url=mongo_url,
                                                                  stamp=time.monotonic_ns()))
    first = make_cluster(n=1, controller_args=["--reuse"])
    with first.client() as rc:
        result = rc[0].apply_async(lambda: "kept")
        result.get(20)
        recorded(rc, result.msg_ids)
    assert 0 == first.stop().returncode
    first.process.wait(30)
    second = make_cluster(n=1, controller_args=["--reuse"])
    with second.client() as rc:
        assert "kept" == rc.get_result(result.msg_ids[0]).get(20)
        assert result.msg_ids[0] in rc.hub_history()


def test_nodb_keeps_nothing_and_says_so(make_cluster):
    """With --nodb tasks run as usual, and every question about past tasks is a clear error."""
    cluster = make_cluster(n=1, controller_args=["--nodb"])
    with cluster.client() as rc:
        result = rc[0].apply_async(abs, -3)
        assert 3 == result.get(20)
        asks = [lambda: rc.db_query({}), rc.hub_history, lambda: rc.result_status(result.msg_ids),
                lambda: rc.get_result(result.msg_ids[0]), lambda: rc.purge_results("all"),
                lambda: rc.resubmit(result.msg_ids)]
        for ask in asks:
            with pytest.raises(HubError, match=r"keeps no task records .*--nodb"):
                ask()
        assert 3 == rc[0].apply_sync(abs, -3), "a refused question leaves the client usable"


def test_watched_task_fails_when_its_engine_dies(make_cluster, tmp_path):
    """A client waiting through the hub for another's task gets EngineError when the engine running it is killed."""
    cluster = make_cluster(n=1)
    with cluster.client() as rc, cluster.client() as other:
        pid = rc[0].apply_sync(os.getpid)
        running = rc[0].apply_async(wait_for_file, str(tmp_path / "never"), None)
        watched = other.get_result(running.msg_ids[0])
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(EngineError, match="engine 0 died"):
            watched.get(30)
        wait_until(lambda: rc.db_query({"msg_id": running.msg_ids[0], "status": "error"}), 10, "the failed record")


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert 1 == len(lines), stderr
    return lines[0]


@pytest.fixture
def env(ipython_dir: Path, no_leftovers) -> dict[str, str]:
    return {**os.environ, "IPYTHONDIR": str(ipython_dir)}


def test_unknown_db_class_is_one_line(env, ipython_dir):
    """A db_class naming no store stops ipcontroller before it starts anything, naming the choices."""
    write_controller_config(ipython_dir, "c.HubFactory.db_class = 'PostgresDB'\n")
    result = run(["ipcluster.launchers.controller"], env)
    assert 1 == result.returncode
    assert "unknown db_class 'PostgresDB': choose one of DictDB, SQLiteDB, RedisDB, MongoDB, NoDB" in one_line(
        result.stderr)


def test_misspelt_store_setting_stops_the_controller(env, ipython_dir):
    """A setting the store does not have is named by the hub, and the controller exits 1."""
    write_controller_config(ipython_dir, "c.SQLiteDB.tabel = 'x'\n")
    result = run(["ipcluster.launchers.controller", "--sqlitedb", "--log-to-file"], env)
    assert 1 == result.returncode
    assert "unknown setting c.SQLiteDB.tabel: SQLiteDB has filename, location, table" in one_line(result.stderr)


def test_unreachable_redis_stops_the_controller(env, ipython_dir):
    """A Redis server nobody runs is named in one line; the controller exits 1."""
    write_controller_config(ipython_dir, "c.RedisDB.url = 'redis://127.0.0.1:9/0'\n")
    result = run(["ipcluster.launchers.controller", "--redisdb", "--log-to-file"], env)
    assert 1 == result.returncode
    assert "redis://127.0.0.1:9/0" in one_line(result.stderr)


def test_buffers_over_the_record_limit_are_left_out_and_said_so(ipython_dir, make_cluster):
    """Buffers bigger than c.HubFactory.record_buffer_limit reach their client but not the records; fetching or
    resubmitting such a task from the hub is a clear error, while small ones still work."""
    write_controller_config(ipython_dir, "c.HubFactory.record_buffer_limit = 1000\n")
    cluster = make_cluster(n=1)
    with cluster.client() as rc, cluster.client() as other:
        big = rc[0].apply_async(np.zeros, 2000)
        small = rc[0].apply_async(np.zeros, 10)
        big_argument = rc[0].apply_async(len, np.zeros(2000))
        assert (2000, 10, 2000) == (len(big.get(20)), len(small.get(20)), big_argument.get(20))
        records = {r["msg_id"]: r for r in recorded(rc, big.msg_ids + small.msg_ids + big_argument.msg_ids,
                                                      ["buffers_omitted", "result_buffers_omitted"])}
        assert 16000 <= records[big.msg_ids[0]]["result_buffers_omitted"]
        assert None is records[small.msg_ids[0]]["result_buffers_omitted"]
        assert 16000 <= records[big_argument.msg_ids[0]]["buffers_omitted"]
        np.testing.assert_array_equal(np.zeros(10), other.get_result(small.msg_ids[0]).get(20))
        with pytest.raises(HubError, match="record_buffer_limit"):
            other.get_result(big.msg_ids[0]).get(20)
        with pytest.raises(HubError, match="record_buffer_limit"):
            other.resubmit(big_argument.msg_ids)
