"""Fixtures that start real clusters in a private IPYTHONDIR and always clean up."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from clusters import Cluster, alive, command_line, kill_all, processes_of

from ipcluster.client import Client

# the real redis-server and MongoDB wire-protocol server that the hub's store tests start, shared
sys.path.insert(0, str(Path(__file__).parents[2] / "packages" / "hub" / "tests"))
from sshd import sshd
from store_servers import mongo_url, redis_url

__all__ = ["mongo_url", "redis_url", "sshd"]


@pytest.fixture
def ipython_dir(tmp_path: Path) -> Path:
    return tmp_path / "ipython"


@pytest.fixture
def no_leftovers(ipython_dir: Path) -> Iterator[None]:
    """Fail the test if any process of its IPYTHONDIR outlives it (and kill those)."""
    yield
    leftovers = processes_of(ipython_dir)
    names = [command_line(p) for p in leftovers if alive(p)]
    kill_all(leftovers)
    assert [] == names, "processes left behind"


@pytest.fixture
def make_cluster(ipython_dir: Path) -> Iterator:
    clusters: list[Cluster] = []

    def make(n: int = 2, controller_args: Sequence[str] = ("--ping=200",), cluster_args: Sequence[str] = ()) -> Cluster:
        cluster = Cluster(ipython_dir, n, controller_args, cluster_args)
        clusters.append(cluster)
        return cluster

    yield make
    # the newest first: clusters of one test share a folder, so an older one's cleanup would see a newer one's processes
    leftovers = [line for cluster in reversed(clusters) for line in cluster.cleanup()]
    assert [] == leftovers, "processes survived the cluster's stop"


@pytest.fixture(scope="module")
def shared_cluster(tmp_path_factory) -> Iterator[tuple[Cluster, Client]]:
    """One cluster of 4 engines for a whole test module."""
    cluster = Cluster(tmp_path_factory.mktemp("shared") / "ipython", 4)
    client = None
    try:
        client = cluster.client()
        yield cluster, client
    finally:
        if client is not None:
            client.close()
        leftovers = cluster.cleanup()
        assert [] == leftovers, "processes survived the cluster's stop"
