"""Task records on real clusters: every store answers the same client calls the same way."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from clusters import Cluster, wait_until

from ipcluster.client import Client, HubError, RemoteError, interactive

STORE_CONFIG = {
    # each names its store differently: a class name, ipyparallel's full name, prefixes
    "DictDB": "c.HubFactory.db_class = 'DictDB'\n",
    "SQLiteDB": "c.HubFactory.db_class = 'ipyparallel.controller.sqlitedb.SQLiteDB'\nc.SQLiteDB.table = 'tasks'\n",
    "RedisDB": "c.HubFactory.db_class = 'redis'\nc.RedisDB.url = {redis_url!r}\nc.RedisDB.prefix = 'it:{stamp}'\n",
    "MongoDB": "c.HubFactory.db_class = 'Mongo'\nc.MongoDB.connection_args = [{mongo_url!r}]\n"
               "c.MongoDB.database = 'it{stamp}'\n",
}


def write_controller_config(ipython_dir: Path, text: str) -> None:
    profile = ipython_dir / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "ipcontroller_config.py").write_text(text)


@pytest.fixture(scope="module", params=list(STORE_CONFIG))
def rc(request, tmp_path_factory, redis_url, mongo_url):
    """A 2-engine cluster keeping its records in each store in turn, and a client of it."""
    ipython_dir = tmp_path_factory.mktemp(request.param) / "ipython"
    stamp = time.monotonic_ns()
    write_controller_config(ipython_dir, STORE_CONFIG[request.param].format(
        redis_url=redis_url, mongo_url=mongo_url, stamp=stamp))
    cluster = Cluster(ipython_dir, 2)
    client = None
    try:
        client = cluster.client()
        yield client
    finally:
        if client is not None:
            client.close()
        assert [] == cluster.cleanup(), "processes survived the cluster's stop"


def recorded(rc: Client, msg_ids: list[str], keys: list[str] | None = None) -> list[dict]:
    """The records of tasks once the hub has them finished: its events arrive in batches, after the replies."""
    query = {"msg_id": {"$in": msg_ids}, "completed": {"$ne": None}}
    wait_until(lambda: len(rc.db_query(query, ["msg_id"])) == len(msg_ids), 10, f"records of {msg_ids}")
    return rc.db_query(query, keys)


def known_to_hub(rc: Client, result) -> None:
    """Wait until the hub has a task's record (pending or not): its scheduler reports in batches."""
    wait_until(lambda: rc.db_query({"msg_id": {"$in": result.msg_ids}}, ["msg_id"]), 10, "the task's record")


@interactive
def wait_for_file(path: str, value):
    import os
    import time

    deadline = time.monotonic() + 30
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.01)
    return value


def test_records_describe_finished_tasks(rc):
    """A direct and a load-balanced task leave records: queue, engine, times, status, output, error."""
    ok = rc[1].apply_async(print, "hello")
    failed = rc.load_balanced_view().apply_async(lambda: 1 / 0)
    ok.get(10)
    with pytest.raises(RemoteError):
        failed.get(10)
    by_id = {r["msg_id"]: r for r in recorded(rc, ok.msg_ids + failed.msg_ids)}
    mine, theirs = by_id[ok.msg_ids[0]], by_id[failed.msg_ids[0]]
    assert ("mux", 1, "ok", "hello\n", None) == (mine["queue"], mine["engine_id"], mine["status"], mine["stdout"],
                                                 mine["error"])
    assert ("task", "error", "ZeroDivisionError: division by zero") == (theirs["queue"], theirs["status"],
                                                                         theirs["error"])
    assert mine["submitted"] <= mine["started"] <= mine["completed"]
    assert rc.session.session_id == mine["client_uuid"] == mine["header"]["session"]
    assert "APPLY_REQUEST" == mine["header"]["msg_type"]
    assert ok.msg_ids[0] == mine["header"]["msg_id"]


def test_query_operators(rc):
    """Equality, $in/$nin, $ne None, and time comparisons with datetimes select the same records in every store."""
    before = datetime.now(UTC) - timedelta(seconds=1)
    results = [rc[i % 2].apply_async(abs, -i) for i in range(4)]
    ids = [r.msg_ids[0] for r in results]
    recorded(rc, ids)

    def select(query: dict) -> list[str]:
        return [r["msg_id"] for r in rc.db_query({"msg_id": {"$in": ids}, **query}, ["msg_id"])]

    assert ids == select({})
    assert [ids[1], ids[3]] == select({"engine_id": 1})
    assert [ids[0], ids[2]] == select({"engine_id": {"$nin": [1]}})
    assert ids == select({"completed": {"$ne": None}, "submitted": {"$gt": before}})
    assert [] == select({"submitted": {"$lt": before}})
    assert [ids[2]] == select({"msg_id": ids[2]})
    assert [] == select({"error": {"$ne": None}})
    with pytest.raises(HubError, match="unknown operator"):
        rc.db_query({"engine_id": {"$near": 1}})


def test_keys_limit_the_fields(rc):
    """keys= returns just those fields, msg_id always among them."""
    result = rc[0].apply_async(abs, -1)
    result.get(10)
    [record] = recorded(rc, result.msg_ids, ["status"])
    assert {"msg_id", "status"} == set(record)


def test_another_client_gets_finished_and_running_results(rc, tmp_path):
    """A second client fetches a finished result (an array, zero-copy buffers) and one that finishes later,
    asking as soon as the first client has them (the hub hears of tasks in batches)."""
    array = np.arange(1000.0)
    done = rc[0].apply_async(lambda a: a * 2, array)
    gate = tmp_path / "go"
    running = rc[1].apply_async(wait_for_file, str(gate), "late")
    done.get(10)
    with Client(rc.info, timeout=30) as other:
        np.testing.assert_array_equal(array * 2, other.get_result(done.msg_ids[0]).get(10))
        assert {"pending": running.msg_ids, "completed": []} == other.result_status(running.msg_ids)
        late = other.get_result(running.msg_ids[0])
        assert not late.ready()
        gate.touch()
        assert "late" == late.get(20)
        assert 1 == late.metadata["engine_id"]


def test_unknown_msg_id_is_a_clear_error(rc):
    """get_result of a msg_id the hub never saw names it."""
    with pytest.raises(HubError, match="no record of task nosuch-1"):
        rc.get_result("nosuch-1")


def test_resubmit_runs_again_and_links_the_records(rc):
    """resubmit re-runs a finished task from its stored request; the old record names the new msg_id."""
    first = rc[0].apply_async(lambda x: x + 1, 41)
    first.get(10)
    recorded(rc, first.msg_ids)
    again = rc.resubmit(first.msg_ids[0])
    assert 42 == again.get(10)
    assert again.msg_ids != first.msg_ids
    wait_until(lambda: rc.db_query({"msg_id": first.msg_ids[0]}, ["resubmitted"])[0]["resubmitted"], 10,
               "the resubmission to be recorded")
    assert again.msg_ids[0] == rc.db_query({"msg_id": first.msg_ids[0]}, ["resubmitted"])[0]["resubmitted"]
    assert first.msg_ids[0] == recorded(rc, again.msg_ids, ["header"])[0]["header"]["resubmit_of"]


def test_purge_drops_finished_records_and_refuses_pending_ones(rc, tmp_path):
    """purge_results by msg_id, by engine and 'all' drop finished records; a pending task is refused."""
    results = [rc[i].apply_async(abs, -i) for i in (0, 1)]
    ids = [r.msg_ids[0] for r in results]
    recorded(rc, ids)
    gate = tmp_path / "go"
    running = rc[0].apply_async(wait_for_file, str(gate), None)
    known_to_hub(rc, running)
    with pytest.raises(HubError, match="still pending"):
        rc.purge_results(running)
    assert 1 == rc.purge_results(ids[0])
    assert [ids[1]] == [r["msg_id"] for r in rc.db_query({"msg_id": {"$in": ids}}, ["msg_id"])]
    assert rc.purge_results(targets=1) >= 1
    assert [] == rc.db_query({"msg_id": {"$in": ids}})
    rc.purge_everything()
    assert running.msg_ids == rc.hub_history(), "only the pending task stays"
    gate.touch()
    running.get(20)


def test_history_is_oldest_first(rc):
    """hub_history lists msg_ids in submission order."""
    results = [rc[i % 2].apply_async(abs, i) for i in range(3)]
    ids = [r.msg_ids[0] for r in results]
    recorded(rc, ids)
    history = rc.hub_history()
    assert ids == [msg_id for msg_id in history if msg_id in ids]


def test_views_scope_queue_status_get_result_and_purge(rc):
    """view.queue_status, view.get_result and view.purge_results act on the view's engines."""
    view = rc[1]
    result = view.apply_async(abs, -7)
    result.get(10)
    recorded(rc, result.msg_ids)
    assert [1, "unassigned"] == list(view.queue_status())
    assert 7 == view.get_result(result.msg_ids[0]).get(10)
    assert view.purge_results() >= 1
    assert [] == rc.db_query({"engine_id": 1})
