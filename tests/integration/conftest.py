"""Fixtures that start real clusters in a private IPYTHONDIR and always clean up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import psutil
import pytest

from ipcluster.client import Client

ENGINE_WAIT = 60


def processes_of(ipython_dir: Path) -> list[psutil.Process]:
    """Every process started for this IPYTHONDIR: by command line or by environment."""
    marker = str(ipython_dir)
    found = []
    for process in psutil.process_iter(["cmdline", "pid"]):
        if process.pid == os.getpid():
            continue
        try:
            if marker in " ".join(process.info["cmdline"] or ()) or marker in process.environ().get("IPYTHONDIR", ""):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def kill_all(processes: Sequence[psutil.Process]) -> None:
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(processes, timeout=10)


def run(args: Sequence[str], env: dict[str, str], timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], env=env, capture_output=True, text=True, timeout=timeout,
                          **kwargs)


class Cluster:
    """`ipcluster start` in the foreground of its own session, in a private IPYTHONDIR."""

    def __init__(self, ipython_dir: Path, n: int, controller_args: Sequence[str] = ()):
        self.ipython_dir = ipython_dir
        self.n = n
        self.env = {**os.environ, "IPYTHONDIR": str(ipython_dir)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ipcluster.launchers.cluster", "start", f"-n={n}", "--", *controller_args],
            env=self.env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        self.profile = ipython_dir / "profile_default"

    def client(self, **kwargs) -> Client:
        client = Client(profile_dir=str(self.profile), timeout=30, **kwargs)
        client.wait_for_engines(self.n, timeout=ENGINE_WAIT)
        return client

    def stop(self) -> subprocess.CompletedProcess:
        return run(["ipcluster.launchers.cluster", "stop"], self.env)

    def cleanup(self) -> list[str]:
        """Stop everything; returns the command lines of processes that had to be killed."""
        leftovers = []
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                pass
        remaining = processes_of(self.ipython_dir)
        for process in remaining:
            try:
                leftovers.append(" ".join(process.cmdline()))
            except psutil.Error:
                pass
        kill_all(remaining)
        if self.process.stdout:
            self.process.stdout.close()
        return leftovers


@pytest.fixture
def ipython_dir(tmp_path: Path) -> Path:
    return tmp_path / "ipython"


@pytest.fixture
def no_leftovers(ipython_dir: Path) -> Iterator[None]:
    """Fail the test if any process of its IPYTHONDIR outlives it (and kill those)."""
    yield
    leftovers = processes_of(ipython_dir)
    names = [" ".join(p.cmdline()) for p in leftovers if p.is_running()]
    kill_all(leftovers)
    assert [] == names, "processes left behind"


@pytest.fixture
def make_cluster(ipython_dir: Path) -> Iterator:
    clusters: list[Cluster] = []

    def make(n: int = 2, controller_args: Sequence[str] = ("--ping=200",)) -> Cluster:
        cluster = Cluster(ipython_dir, n, controller_args)
        clusters.append(cluster)
        return cluster

    yield make
    leftovers = [line for cluster in clusters for line in cluster.cleanup()]
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
