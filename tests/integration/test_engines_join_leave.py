"""Engines that join and leave while a client is connected: rc.ids and 'all' views follow them."""

from __future__ import annotations

import os
import subprocess
import sys

from clusters import ENGINE_WAIT, wait_until

from ipcluster.client import interactive

TIMEOUT = 30


@interactive
def engine_pid():
    return os.getpid()


def test_ids_and_all_views_follow_engines_joining_and_leaving(make_cluster):
    """A new engine appears in rc.ids, 'all' and rc[:] views; one shut down through a view disappears."""
    cluster = make_cluster(n=1)
    rc = cluster.client()
    every, sliced, fixed = rc.direct_view(), rc[:], rc[[0]]
    assert [0] == rc.ids
    engine = subprocess.Popen([sys.executable, "-m", "ipcluster.engine"], env=cluster.env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        rc.wait_for_engines(2, timeout=ENGINE_WAIT)
        assert [0, 1] == rc.ids
        pids = every.apply_sync(engine_pid)
        assert engine.pid == pids[1]
        assert pids == sliced.apply_sync(engine_pid)
        assert pids[:1] == fixed.apply_sync(engine_pid)
        rc[[1]].shutdown(block=True)
        assert 0 == engine.wait(TIMEOUT)
        wait_until(lambda: [0] == rc.ids, TIMEOUT, "engine 1 to leave rc.ids")
        assert pids[:1] == every.apply_sync(engine_pid) == sliced.apply_sync(engine_pid)
    finally:
        if engine.poll() is None:
            engine.kill()
            engine.wait(TIMEOUT)
        rc.close()
