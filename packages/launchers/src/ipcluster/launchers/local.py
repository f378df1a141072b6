"""Launchers that start the controller and engines as processes on this machine."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from traitlets.config import Config

from ipcluster.launchers._process import LocalProcess, python_command, stop_all


class LocalControllerLauncher:
    """Runs ``ipcontroller`` for a profile."""

    def __init__(self, profile_dir: Path, controller_args: Sequence[str] = ()):
        self.process = LocalProcess(python_command(
            "ipcluster.launchers.controller", f"--profile-dir={profile_dir}", "--die-with-parent", "--log-to-file",
            *controller_args,
        ))

    def start(self) -> None:
        self.process.start()

    @property
    def running(self) -> bool:
        return self.process.running

    def stop(self, timeout: float = 10.0) -> None:
        self.process.stop(timeout)


class EngineSet:
    """The processes that run a set of engines, started and stopped together."""

    def __init__(self, processes: list[LocalProcess], n: int):
        self.processes = processes
        self.n = n  # engines, which may be more than processes (mpiexec runs them all)

    def start(self) -> None:
        for process in self.processes:
            process.start()

    @property
    def running(self) -> list[LocalProcess]:
        return [process for process in self.processes if process.running]

    def ready(self, registered_pids: set[int]) -> bool:
        """Every engine still running is registered with the hub (engines are these processes)."""
        return {process.pid for process in self.running} <= registered_pids

    def reap(self) -> list[LocalProcess]:
        """Collect processes that exited since the last call (no zombies left behind)."""
        exited = [process for process in self.processes if not process.running]
        self.processes = [process for process in self.processes if process not in exited]
        return exited

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM to all at once, then SIGKILL to whatever is left when `timeout` runs out."""
        stop_all(self.processes, timeout)


class LocalEngineSetLauncher(EngineSet):
    """Runs `n` ``ipengine`` processes for a profile."""

    def __init__(self, profile_dir: Path, n: int, engine_args: Sequence[str] = (), config: Config | None = None):
        """`config`, the command's traitlets config, is for launchers that have settings; this one has none."""
        super().__init__([
            LocalProcess(python_command(
                "ipcluster.engine", f"--profile-dir={profile_dir}", "--die-with-parent", "--log-to-file", *engine_args
            ))
            for _ in range(n)
        ], n)
