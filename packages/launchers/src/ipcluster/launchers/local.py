"""Launchers that start the controller and engines as processes on this machine."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from traitlets.config import Config

from ipcluster.launchers._process import LocalProcess, python_command, stop_all
from ipcluster.launchers._watch import EngineWatch


def controller_command(profile_dir: Path, controller_args: Sequence[str], *ours: str) -> list[str]:
    return python_command("ipcluster.launchers.controller", f"--profile-dir={profile_dir}", "--log-to-file", *ours,
                          *controller_args)


def engine_command(profile_dir: Path, engine_args: Sequence[str], *ours: str) -> list[str]:
    return python_command("ipcluster.engine", f"--profile-dir={profile_dir}", "--log-to-file", *ours, *engine_args)


class LocalControllerLauncher:
    """Runs ``ipcontroller`` for a profile."""

    poll_interval: float | None = None  # its exit wakes ipcluster (SIGCHLD)

    def __init__(self, profile_dir: Path, controller_args: Sequence[str] = (), config: Config | None = None):
        self.process = LocalProcess(controller_command(profile_dir, controller_args, "--die-with-parent"))

    def start(self) -> None:
        self.process.start()

    @property
    def running(self) -> bool:
        return self.process.running

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    def cleanup_commands(self) -> list[list[str]]:
        return []  # our children die with us (--die-with-parent)

    def stop(self, timeout: float = 10.0) -> None:
        self.process.stop(timeout)


class EngineSet:
    """The processes that run a set of engines, started and stopped together."""

    poll_interval: float | None = None  # an exit wakes ipcluster (SIGCHLD)

    def __init__(self, processes: list[LocalProcess], n: int):
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

    def reap(self) -> list[LocalProcess]:
        """Collect processes that exited since the last call (no zombies left behind)."""
        exited = [process for process in self.processes if not process.running]
        self.processes = [process for process in self.processes if process not in exited]
        return exited

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM to all at once, then SIGKILL to whatever is left when `timeout` runs out."""
        stop_all(self.processes, timeout)

    def cleanup_commands(self) -> list[list[str]]:
        return []  # our children die with us (--die-with-parent)


class LocalEngineSetLauncher(EngineSet):
    """Runs `n` ``ipengine`` processes for a profile."""

    def __init__(self, profile_dir: Path, n: int, engine_args: Sequence[str] = (), config: Config | None = None):
        """`config`, the command's traitlets config, is for launchers that have settings; this one has none."""
        super().__init__([
            LocalProcess(engine_command(profile_dir, engine_args, "--die-with-parent")) for _ in range(n)
        ], n)
