"""Start, connect to and stop a cluster of ipcluster or ipyparallel the same way.

Both install an ``ipcluster`` script, so each is run as a module of this
interpreter instead. Each cluster lives in its own temporary IPYTHONDIR
(the environment variable this process was started with), which its
processes inherit: that is how `procs` finds them.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psutil
from procs import cluster_processes, kill_leftovers, role, wait_gone, with_descendants


def _ipcluster_client(timeout: float) -> Any:
    from ipcluster.client import Client

    return Client(timeout=timeout)


def _ipyparallel_client(timeout: float) -> Any:
    import ipyparallel

    return ipyparallel.Client(timeout=timeout)


@dataclass(frozen=True)
class SystemSpec:
    """What differs between the systems (and between configurations of one)."""

    name: str
    cli_module: str  # run as ``python -m <cli_module> start|stop``
    controller_roles: tuple[str, ...]  # the ``-m`` modules of controller processes
    make_client: Callable[[float], Any]
    client_module: str
    process_modules: tuple[str, ...]  # what the cluster's processes import, to compile ahead
    start_args: tuple[str, ...] = ()  # appended to ``start -n N --daemonize``
    # written to the profile's ipcontroller_config.py before the start; {redis_url} and {mongo_url} are
    # replaced by the servers run.py started (BENCH_REDIS_URL, BENCH_MONGO_URL)
    controller_config: str = ""
    push: bool = True  # the store columns skip the 100 MB push, which measures nothing about the store


IPCLUSTER = SystemSpec(
    "ipcluster", "ipcluster.launchers.cluster",
    ("ipcluster.launchers.controller", "ipcluster.hub", "ipcluster.scheduler", "ipcluster.heartmonitor"),
    _ipcluster_client, "ipcluster.client",
    ("ipcluster.launchers.cluster", "ipcluster.launchers.controller", "ipcluster.hub", "ipcluster.scheduler",
     "ipcluster.heartmonitor", "ipcluster.engine._app", "ipcluster.client"),
)

SYSTEMS = {
    "ipcluster": IPCLUSTER,
    # the same cluster; after ``--`` the arguments go to ipcontroller: its load-balancing scheduler
    # sends tasks without waiting for engines to finish earlier ones (the default, hwm=1, is ipyparallel's)
    "ipcluster-hwm0": replace(IPCLUSTER, name="ipcluster-hwm0", start_args=("--", "--hwm=0")),
    # the same cluster with each task-record store (DictDB, the default, is the "ipcluster" column)
    "ipcluster-nodb": replace(IPCLUSTER, name="ipcluster-nodb", start_args=("--", "--nodb"), push=False),
    "ipcluster-sqlitedb": replace(IPCLUSTER, name="ipcluster-sqlitedb", start_args=("--", "--sqlitedb"), push=False),
    "ipcluster-redisdb": replace(IPCLUSTER, name="ipcluster-redisdb", push=False, controller_config=(
        "c.HubFactory.db_class = 'RedisDB'\nc.RedisDB.url = {redis_url!r}\n")),
    # every socket encrypted and every peer admitted by its key, as by default beyond loopback
    "ipcluster-curve": replace(IPCLUSTER, name="ipcluster-curve", start_args=("--", "--curve=required")),
    "ipcluster-mongodb": replace(IPCLUSTER, name="ipcluster-mongodb", push=False, controller_config=(
        "c.HubFactory.db_class = 'MongoDB'\nc.MongoDB.connection_args = [{mongo_url!r}]\n")),
    "ipyparallel": SystemSpec("ipyparallel", "ipyparallel.cluster", ("ipyparallel.controller",), _ipyparallel_client,
                              "ipyparallel",
                              ("ipyparallel", "ipyparallel.cluster.app", "ipyparallel.controller.app",
                               "ipyparallel.controller.task_scheduler", "ipyparallel.controller.broadcast_scheduler",
                               "ipyparallel.engine.app", "ipyparallel.engine.nanny", "ipykernel.ipkernel")),
}


class Cluster:
    """One system's cluster in this process's IPYTHONDIR."""

    def __init__(self, spec: SystemSpec, log_path: str):
        self.spec = spec
        self.ipython_dir = os.environ["IPYTHONDIR"]
        self.log_path = log_path
        self.client: Any = None
        self.started = False

    def _cli(self, *args: str, timeout: float) -> float:
        """Run the system's own ``ipcluster`` command; returns the seconds it took."""
        start = time.perf_counter()
        with open(self.log_path, "ab") as log:
            code = subprocess.call([sys.executable, "-m", self.spec.cli_module, *args], stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=log, timeout=timeout)
        if code != 0:
            raise RuntimeError(f"`{self.spec.cli_module} {' '.join(args)}` exited {code}; see {self.log_path}")
        return time.perf_counter() - start

    def compile_ahead(self) -> float:
        """Import what the cluster's processes import once, writing bytecode; returns the seconds it took.

        With PYTHONDONTWRITEBYTECODE set and a venv installed without compiling
        (as uv does), every process would otherwise compile its imports from
        source at each start, which no installed cluster does.
        """
        env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "; ".join(f"import {name}" for name in self.spec.process_modules)],
                       env=env, check=True, timeout=120)
        return time.perf_counter() - start

    def start(self, n: int, noop: Callable, timeout: float = 90.0) -> dict[str, float]:
        """Start `n` engines and wait until each has run a task: the seconds to each milestone."""
        importlib.import_module(self.spec.client_module)  # a user has the client imported already
        if self.spec.controller_config:
            profile = Path(self.ipython_dir) / "profile_default"
            profile.mkdir(parents=True, exist_ok=True)
            (profile / "ipcontroller_config.py").write_text(self.spec.controller_config.format(
                redis_url=os.environ.get("BENCH_REDIS_URL", ""), mongo_url=os.environ.get("BENCH_MONGO_URL", "")))
        start = time.perf_counter()
        self.started = True
        command = self._cli("start", f"-n={n}", "--daemonize", *self.spec.start_args, timeout=timeout)
        self.client = self.spec.make_client(timeout)
        connected = time.perf_counter() - start
        self.client.wait_for_engines(n, timeout=timeout)
        registered = time.perf_counter() - start
        self.client[:].apply_sync(noop)
        return {"command_s": command, "client_s": connected, "engines_s": registered,
                "working_s": time.perf_counter() - start}

    def processes(self) -> list[psutil.Process]:
        """Every process of the cluster, this client excluded."""
        return cluster_processes(self.ipython_dir)

    def controller_processes(self) -> list[psutil.Process]:
        roots = [process for process in self.processes() if role(process) in self.spec.controller_roles]
        return with_descendants(roots)

    def stop(self, timeout: float = 60.0) -> dict[str, Any]:
        """Close the client, run ``stop`` and wait until every process of the cluster is gone."""
        if self.client is not None:
            self.client.close()
            self.client = None
        processes = self.processes()
        start = time.perf_counter()
        command = self._cli("stop", timeout=timeout)
        left = wait_gone(processes, timeout)
        self.started = False
        return {"command_s": command, "all_gone_s": time.perf_counter() - start, "processes": len(processes),
                "left_after_timeout": [f"{process.pid} {role(process)}" for process in left]}

    def cleanup(self) -> list[str]:
        """Best effort after a failure: stop, then kill whatever is left; returns what had to be killed."""
        if self.client is not None:
            try:
                self.client.close()
            except Exception:
                pass
            self.client = None
        if self.started:
            try:
                self._cli("stop", timeout=20)
            except Exception:
                pass
        return kill_leftovers(self.ipython_dir)
