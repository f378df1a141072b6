"""MPI engines: ``mpiexec -n N ipengine --mpi``, so the engines share one ``MPI.COMM_WORLD``.

``ipcluster start -n 4 --engines=MPI`` (or ``c.IPClusterEngines.engine_launcher_class = 'MPI'``). The
engines initialise MPI with mpi4py and take their ranks as engine ids. `mpi_cmd` and `mpi_args` are
ipyparallel's ``c.MPILauncher`` settings: ``mpiexec`` from PATH by default (``pip install mpi4py mpich``
brings one into the virtual environment).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from traitlets import List, Unicode
from traitlets.config import Config, Configurable

from ipcluster.launchers._process import LocalProcess
from ipcluster.launchers._watch import EngineWatch
from ipcluster.launchers.local import EngineSet, OneProcessController, controller_command, engine_command


class MPILauncher(Configurable):
    """ipyparallel's ``c.MPILauncher`` (and ``c.MPIEngineSetLauncher``) section."""

    mpi_cmd = List(Unicode(), ["mpiexec"], help="the command that starts MPI processes").tag(config=True)
    mpi_args = List(Unicode(), help="extra arguments for mpi_cmd, before the program").tag(config=True)


    def command(self, n: int, program: Sequence[str], option: str) -> list[str]:
        """``mpiexec -n N program``; FileNotFoundError naming the fix when there is no mpiexec."""
        if not self.mpi_cmd or shutil.which(self.mpi_cmd[0]) is None:
            raise FileNotFoundError(f"{option} needs {self.mpi_cmd[0] if self.mpi_cmd else 'mpiexec'} on PATH: "
                                    "pip install mpi4py mpich, or set c.MPILauncher.mpi_cmd")
        return [*self.mpi_cmd, "-n", str(n), *self.mpi_args, *program]


class MPIEngineSetLauncher(EngineSet[LocalProcess]):
    """One ``mpiexec`` running `n` engines; they are ready when the hub lists `n` of them."""

    def __init__(self, profile_dir: Path, n: int, engine_args: Sequence[str] = (), config: Config | None = None):
        engine = engine_command(profile_dir, engine_args, "--mpi")
        super().__init__([LocalProcess(MPILauncher(config=config).command(n, engine, "--engines=MPI"))], n)

    def ready(self, watch: EngineWatch) -> bool:
        """mpiexec's engines are its grandchildren: count them instead of matching pids."""
        return self.running and watch.joined() >= self.n


class MPIControllerLauncher(OneProcessController):
    """``mpiexec -n 1 ipcontroller``, for sites that want every process started by MPI."""

    def __init__(self, profile_dir: Path, controller_args: Sequence[str] = (), config: Config | None = None):
        controller = controller_command(profile_dir, controller_args, "--die-with-parent")
        self.process = LocalProcess(MPILauncher(config=config).command(1, controller, "--controller=MPI"))
