"""`Cluster`: start a controller and engines from Python, connect, and stop them, as ipyparallel's ``ipp.Cluster``.

    with Cluster(n=4) as rc:                # starts, waits for the engines, connects
        rc[:].apply_sync(os.getpid)
                                            # leaving the block closes the client and stops the cluster

It runs the ``ipcluster start --daemonize`` and ``ipcluster stop`` commands
for its profile, so a cluster started here is seen by ``ipcluster list`` and
can be stopped with ``ipcluster stop`` like any other, and nothing differs
between the command line and Python.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from ipcluster.client import Client
from ipcluster.launchers._codes import ALREADY_STOPPED, NO_CLUSTER
from ipcluster.launchers._names import UnknownLauncher, controller_class, engine_set_class
from ipcluster.protocol import ProfileDir


class ClusterError(RuntimeError):
    """A cluster could not be started or stopped; the message says why and where its log is."""


class Cluster:
    """A controller and `n` engines for one profile.

    `engines` and `controller` name the launchers (``'local'``, ``'mpi'``, ``'slurm'``, ...,
    as ``--engines=`` and ``--controller=``); `controller_args` and `engine_args` go to
    ``ipcontroller`` and each ``ipengine``; other launcher settings come from the profile's config. With
    `shutdown_atexit` (the default, as in ipyparallel) a cluster still running
    when Python exits is stopped.
    """

    def __init__(self, n: int | None = None, *, engines: str = "local", controller: str = "local",
                 profile: str = "default",
                 profile_dir: str | os.PathLike | None = None, controller_args: Sequence[str] = (),
                 engine_args: Sequence[str] = (), timeout: float = 60.0, shutdown_atexit: bool = True):
        for name, value, resolve in (("engines", engines, engine_set_class), ("controller", controller,
                                                                               controller_class)):
            try:
                resolve(value)
            except UnknownLauncher as exc:
                raise ValueError(f"{name}={value!r}: {exc}") from None
        self.engines = engines
        self.controller = controller
        self.n = n if n is not None else os.cpu_count() or 2
        self.profile_dir = ProfileDir.locate(profile, str(profile_dir) if profile_dir else None).path
        self.controller_args = list(controller_args)
        self.engine_args = list(engine_args)
        self.timeout = timeout
        self.shutdown_atexit = shutdown_atexit
        self.started = False
        self._clients: list[Client] = []

    def __repr__(self) -> str:
        state = "running" if self.started else "stopped"
        return f"<Cluster n={self.n} profile_dir={str(self.profile_dir)!r} {state}>"

    def start(self) -> None:
        """Start the controller and the engines; returns once they run (``ipcluster start --daemonize``)."""
        if self.started:
            raise ClusterError(f"this cluster is running already ({self.profile_dir}): stop() it first")
        args = ["start", f"-n={self.n}", f"--engines={self.engines}", f"--controller={self.controller}", "--daemonize"]
        args += [f"--IPClusterStart.engine_args={arg}" for arg in self.engine_args]
        if self.controller_args:
            args += ["--", *self.controller_args]
        self._command(args, "start")
        self.started = True
        if self.shutdown_atexit:
            atexit.register(self.stop)

    def connect_client(self) -> Client:
        """A Client of this cluster; closed by `stop`."""
        client = Client(profile_dir=str(self.profile_dir), timeout=self.timeout)
        self._clients.append(client)
        return client

    def start_and_connect(self, n: int | None = None) -> Client:
        """Start, then return a Client once `n` (default: all) engines are registered."""
        self.start()
        client = self.connect_client()
        try:
            client.wait_for_engines(self.n if n is None else n, timeout=self.timeout)
        except BaseException:
            self.stop()
            raise
        return client

    def stop(self) -> None:
        """Close this cluster's clients and stop its engines and controller; nothing happens if it is stopped."""
        for client in self._clients:
            client.close()
        self._clients.clear()
        if not self.started:
            return
        self.started = False
        atexit.unregister(self.stop)
        self._command(["stop"], "stop", fine=(0, ALREADY_STOPPED, NO_CLUSTER))  # gone already is stopped too

    def __enter__(self) -> Client:
        return self.start_and_connect()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _command(self, args: list[str], what: str, fine: Sequence[int] = (0,)) -> None:
        command = [sys.executable, "-m", "ipcluster.launchers.cluster", args[0], f"--profile-dir={self.profile_dir}",
                   *args[1:]]
        done = subprocess.run(command, capture_output=True, text=True, timeout=self.timeout + 30,
                              stdin=subprocess.DEVNULL)
        if done.returncode not in fine:
            detail = (done.stderr or done.stdout).strip().splitlines()
            raise ClusterError(f"`ipcluster {what}` failed (exit {done.returncode}): "
                               f"{detail[-1] if detail else 'no output'} (logs in {Path(self.profile_dir) / 'log'})")
