"""Fixtures that start real clusters in a private IPYTHONDIR and always clean up."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path

import pytest
from clusters import Cluster, alive, command_line, kill_all, processes_of
from netns import Network, network_of, sweep_stale_namespaces

from ipcluster.client import Client

# the real redis-server and MongoDB wire-protocol server that the hub's store tests start, shared;
# the batch systems' daemons start with the same helper
sys.path.insert(0, str(Path(__file__).parents[2] / "packages" / "hub" / "tests"))
from batch_systems import pbs, sge, slurm, standins
from sshd import sshd
from store_servers import mongo_url, redis_url

__all__ = ["mongo_url", "pbs", "redis_url", "sge", "slurm", "sshd", "standins"]


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


@pytest.fixture(scope="session")
def stale_hosts_swept() -> list[str]:
    """The namespace hosts that a killed earlier run left, deleted before this run makes its own."""
    return sweep_stale_namespaces()


@pytest.fixture
def make_hosts(tmp_path: Path, stale_hosts_swept: list[str]) -> Iterator[Callable[..., Network]]:
    """`make_hosts("a", "b")`: hosts on one private bridge, all deleted (and their processes stopped) after the
    test, which fails if any process outlived that stop."""
    with ExitStack() as networks:
        yield lambda *names: networks.enter_context(network_of(names, tmp_path))
