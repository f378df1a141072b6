"""Launchers that start the controller and engines as processes on this machine."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Generic, TypeVar

from traitlets.config import Config

from ipcluster.launchers._process import LocalProcess, python_command, stop_all
from ipcluster.launchers._watch import EngineWatch


def option_name(arg: str) -> str:
    """'timeout' for ``--timeout=5``, ``--IPEngineApp.timeout=5`` and ``--timeout``: what an argument sets."""
    return arg.lstrip("-").split("=", 1)[0].rsplit(".", 1)[-1].replace("_", "-")


def option_value(args: Sequence[str], name: str) -> str | None:
    """The value the last ``--name=value`` (or ``--name value``) among `args` gives, if any."""
    found = None
    for index, arg in enumerate(args):
        if arg.startswith("-") and option_name(arg) == name:
            found = arg.partition("=")[2] if "=" in arg else (args[index + 1] if index + 1 < len(args) else None)
    return found


def override(defaults: Sequence[str], args: Sequence[str]) -> list[str]:
    """`defaults` less each option `args` sets, then `args`: traitlets refuses a value given twice."""
    given = {option_name(arg) for arg in args if arg.startswith("-")}
    return [*(arg for arg in defaults if option_name(arg) not in given), *args]


def _profile_command(module: str, profile_dir: Path | str, args: Sequence[str], ours: Sequence[str],
                     python: str) -> list[str]:
    """`module` on a profile, logging to files, with our options unless `args` (the user's) set them."""
    return python_command(module, *override([f"--profile-dir={profile_dir}", "--log-to-file", *ours], args),
                          python=python)


def controller_command(profile_dir: Path | str, controller_args: Sequence[str], *ours: str,
                       python: str = sys.executable) -> list[str]:
    return _profile_command("ipcluster.launchers.controller", profile_dir, controller_args, ours, python)


def engine_command(profile_dir: Path | str, engine_args: Sequence[str], *ours: str,
                   python: str = sys.executable) -> list[str]:
    return _profile_command("ipcluster.engine", profile_dir, engine_args, ours, python)


class OneProcessController:
    """A controller launcher whose controller is one child process (ipcontroller, mpiexec or ssh)."""

    poll_interval: float | None = None  # its exit wakes ipcluster (SIGCHLD)
    remote: bool = False  # on this host (ssh's is not)
    process: LocalProcess

    def start(self) -> None:
        self.process.start()

    @property
    def running(self) -> bool:
        return self.process.running

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    def cleanup_commands(self) -> list[list[str]]:
        return []  # the child dies with us (--die-with-parent), and a remote one with its ssh connection

    def stop(self, timeout: float = 10.0) -> None:
        self.process.stop(timeout)

    def __str__(self) -> str:
        return str(self.process)


class LocalControllerLauncher(OneProcessController):
    """Runs ``ipcontroller`` for a profile."""

    def __init__(self, profile_dir: Path, controller_args: Sequence[str] = (), config: Config | None = None):
        self.process = LocalProcess(controller_command(profile_dir, controller_args, "--die-with-parent"))


P = TypeVar("P", bound=LocalProcess)


class EngineSet(Generic[P]):
    """The processes that run a set of engines, started and stopped together."""

    remote: bool = False  # on this host: a controller on loopback reaches them
    poll_interval: float | None = None  # an exit wakes ipcluster (SIGCHLD)

    def __init__(self, processes: list[P], n: int):
        self.processes = processes
        self.n = n  # engines, which may be more than processes (mpiexec runs them all)

    def start(self) -> None:
        for process in self.processes:
            process.start()

    @property
    def running(self) -> bool:
        return any(process.running for process in self.processes)

    def ready(self, watch: EngineWatch) -> bool:
        """Every engine still running is registered with the hub (engines are these processes)."""
        return {process.pid for process in self.processes if process.running} <= watch.pids_here()

    def reap(self) -> list[P]:
        """Collect processes that exited since the last call (no zombies left behind)."""
        exited = [process for process in self.processes if not process.running]
        self.processes = [process for process in self.processes if process not in exited]
        return exited

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM to all at once, then SIGKILL to whatever is left when `timeout` runs out."""
        stop_all(self.processes, timeout)

    def cleanup_commands(self) -> list[list[str]]:
        return []  # our children die with us (--die-with-parent)


class LocalEngineSetLauncher(EngineSet[LocalProcess]):
    """Runs `n` ``ipengine`` processes for a profile."""

    def __init__(self, profile_dir: Path, n: int, engine_args: Sequence[str] = (), config: Config | None = None):
        """`config`, the command's traitlets config, is for launchers that have settings; this one has none."""
        super().__init__([
            LocalProcess(engine_command(profile_dir, engine_args, "--die-with-parent")) for _ in range(n)
        ], n)
